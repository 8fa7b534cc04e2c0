//! The fast path of `INSERT … VALUES` (how rows arrive through a service's query endpoint): when every cell is
//! a literal, a `$n` parameter, `decode(…, 'hex')`, an `ARRAY[…]` of numbers, or a cast of one of these, the
//! rows are read straight into arrays of the table's types. Planning them with DataFusion names every
//! expression (a 384-number vector is formatted several times per cell), measured at ~2 ms a row. Anything
//! else returns `None` and is planned as usual.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::datatypes::SchemaRef;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SetExpr, UnaryOperator,
    Value as Sql,
};
use lakefeed_core::infer::build_array;
use lakefeed_core::{LogicalType, Result};
use serde_json::{Number, Value};

/// The rows of a plain `VALUES` source as JSON cells, or `None` when it is anything more (or its parameters
/// are not exactly `$1..$n`).
pub(super) fn literal_rows(source: &Query, params: &[Value]) -> Option<Vec<Vec<Value>>> {
    if source.with.is_some() || source.order_by.is_some() || source.limit_clause.is_some() {
        return None;
    }
    let SetExpr::Values(values) = source.body.as_ref() else {
        return None;
    };
    let mut used = vec![false; params.len()];
    let rows = values
        .rows
        .iter()
        .map(|r| {
            r.content
                .iter()
                .map(|e| cell(e, params, &mut used))
                .collect()
        })
        .collect::<Option<Vec<Vec<Value>>>>()?;
    used.iter().all(|u| *u).then_some(rows)
}

fn cell(e: &Expr, params: &[Value], used: &mut [bool]) -> Option<Value> {
    match e {
        Expr::Value(v) => match &v.value {
            Sql::Placeholder(p) => {
                let i: usize = p.strip_prefix('$')?.parse().ok()?;
                let slot = used.get_mut(i.checked_sub(1)?)?;
                *slot = true;
                params.get(i - 1).cloned()
            }
            Sql::Number(n, _) => number(n),
            Sql::SingleQuotedString(s) => Some(Value::String(s.clone())),
            Sql::Boolean(b) => Some(Value::Bool(*b)),
            Sql::Null => Some(Value::Null),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match cell(expr, params, used)? {
            Value::Number(n) => number(&format!("-{n}")),
            _ => None,
        },
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => cell(inner, params, used),
        Expr::Array(a) => a
            .elem
            .iter()
            .map(|x| cell(x, params, used).filter(|v| v.is_number() || v.is_null()))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("decode") => {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let [
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)),
                FunctionArg::Unnamed(FunctionArgExpr::Expr(enc)),
            ] = list.args.as_slice()
            else {
                return None;
            };
            let enc = cell(enc, params, used)?;
            match (cell(x, params, used)?, enc.as_str()) {
                (Value::String(hex), Some(e)) if e.eq_ignore_ascii_case("hex") => {
                    Some(Value::String(format!("\\x{hex}")))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn number(s: &str) -> Option<Value> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    if !s.contains(['.', 'e', 'E']) {
        // An integer past i64: planned (exactly, as a decimal) rather than rounded through f64.
        return None;
    }
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// The rows as a batch of the table's schema: targeted columns built from the cells, the others null.
pub(super) fn batch(
    schema: &SchemaRef,
    targets: &[String],
    rows: &[Vec<Value>],
) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| match targets.iter().position(|t| t == f.name()) {
            Some(i) => {
                let cells: Vec<&Value> = rows.iter().map(|r| &r[i]).collect();
                let ltype = LogicalType::of_field(f).unwrap_or(LogicalType::Text);
                build_array(f.name(), ltype, f.data_type(), &cells, 0)
            }
            None => Ok(new_null_array(f.data_type(), rows.len())),
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
