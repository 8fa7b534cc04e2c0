//! The pg_deeplake search operators in SQL: what `<#>` and `@>` mean, and the hybrid record type.
//!
//! - `emb <#> v` on an EMBEDDING column: cosine similarity (`lakefeed_cosine`).
//! - `text <#> 'words'` on a TEXT column: BM25 (`lakefeed_bm25`, scored once statistics are gathered).
//! - `text @> 'kw'`: contains (substring).
//! - `(emb, text)::deeplake_hybrid_record <#> deeplake_hybrid_record(v, 'words', wv, wt)`:
//!   `wv · cosine + wt · BM25 / max BM25`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{DFSchema, ScalarValue, plan_err};
use datafusion::logical_expr::expr::{Cast, ScalarFunction};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr, TypePlanner};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, lit,
};
use datafusion::sql::sqlparser::ast::{self, BinaryOperator};

use super::bm25::{BM25, BM25_NORM, Bm25Placeholder};
use super::vector::Cosine;

/// The SQL type name of hybrid records.
pub const HYBRID: &str = "deeplake_hybrid_record";

/// Plans `<#>` and `@>`.
#[derive(Debug)]
pub struct SearchPlanner {
    cosine: Arc<ScalarUDF>,
    bm25: Arc<ScalarUDF>,
    bm25_norm: Arc<ScalarUDF>,
}

impl Default for SearchPlanner {
    fn default() -> Self {
        Self {
            cosine: Arc::new(ScalarUDF::from(Cosine::default())),
            bm25: Arc::new(ScalarUDF::from(Bm25Placeholder::new(BM25))),
            bm25_norm: Arc::new(ScalarUDF::from(Bm25Placeholder::new(BM25_NORM))),
        }
    }
}

fn call(f: &Arc<ScalarUDF>, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(f.clone(), args))
}

/// A short name for an expression in errors: the column name, else its SQL text.
fn name_of(e: &Expr) -> String {
    match e {
        Expr::Column(c) => c.name.clone(),
        other => other.schema_name().to_string(),
    }
}

impl SearchPlanner {
    fn similarity(
        &self,
        left: Expr,
        right: Expr,
        schema: &DFSchema,
    ) -> datafusion::error::Result<Expr> {
        if let Some((emb, text)) = hybrid_left(&left) {
            return self.hybrid(emb, text, right);
        }
        let column = name_of(&left);
        match left.get_type(schema)? {
            DataType::FixedSizeList(..) | DataType::List(_) | DataType::LargeList(_) => {
                Ok(call(&self.cosine, vec![left, right, lit(column)]))
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                check_words(&right, &column)?;
                Ok(call(&self.bm25, vec![left, right]))
            }
            other => plan_err!(
                "'<#>' needs an EMBEDDING column (compared with a vector) or a TEXT column (searched for words); \
                 '{column}' is {other}"
            ),
        }
    }

    fn hybrid(&self, emb: Expr, text: Expr, right: Expr) -> datafusion::error::Result<Expr> {
        let args = match right {
            Expr::ScalarFunction(f) if f.func.name() == HYBRID && f.args.len() == 4 => f.args,
            _ => {
                return plan_err!(
                    "a {HYBRID} is compared with {HYBRID}(vector, 'words', vector_weight, text_weight)"
                );
            }
        };
        let [v, words, wv, wt] = <[Expr; 4]>::try_from(args)
            .map_err(|_| datafusion::error::DataFusionError::Plan("four arguments".into()))?;
        let (wv, wt) = (weight(wv, "vector_weight")?, weight(wt, "text_weight")?);
        check_words(&words, &name_of(&text))?;
        let column = name_of(&emb);
        let zero = || lit(0.0f32);
        let cos = datafusion::functions::expr_fn::coalesce(vec![
            call(&self.cosine, vec![emb, v, lit(column)]),
            zero(),
        ]);
        let bm = call(&self.bm25_norm, vec![text, words]);
        Ok(wv * cos + wt * bm)
    }
}

/// `(emb, text)::deeplake_hybrid_record` → (emb, text).
fn hybrid_left(e: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Cast(Cast { expr, field }) = e else {
        return None;
    };
    if !is_hybrid_type(field.data_type()) {
        return None;
    }
    match expr.as_ref() {
        Expr::ScalarFunction(f) if f.func.name() == "struct" && f.args.len() == 2 => {
            Some((f.args[0].clone(), f.args[1].clone()))
        }
        // named_struct('c0', emb, 'c1', text)
        Expr::ScalarFunction(f) if f.func.name() == "named_struct" && f.args.len() == 4 => {
            Some((f.args[1].clone(), f.args[3].clone()))
        }
        _ => None,
    }
}

fn hybrid_type() -> DataType {
    DataType::Struct(Fields::from(vec![Field::new(HYBRID, DataType::Null, true)]))
}

fn is_hybrid_type(t: &DataType) -> bool {
    matches!(t, DataType::Struct(f) if f.len() == 1 && f[0].name() == HYBRID)
}

/// The words searched for must be text: a string literal or a parameter.
fn check_words(e: &Expr, column: &str) -> datafusion::error::Result<()> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(_) | ScalarValue::LargeUtf8(_) | ScalarValue::Utf8View(_),
            _,
        )
        | Expr::Placeholder(_) => Ok(()),
        Expr::Literal(v, _) => plan_err!(
            "'{column} <#> …' searches a TEXT column for words: the right side must be a string, not {}",
            v.data_type()
        ),
        _ => plan_err!(
            "'{column} <#> …' searches for words: the right side must be a string literal or a parameter"
        ),
    }
}

/// A hybrid weight: a number literal or a parameter, as FLOAT4.
fn weight(e: Expr, name: &str) -> datafusion::error::Result<Expr> {
    let numeric = match &e {
        Expr::Literal(v, _) => v.data_type().is_numeric(),
        Expr::Placeholder(_) => true,
        Expr::Negative(inner) => {
            matches!(inner.as_ref(), Expr::Literal(v, _) if v.data_type().is_numeric())
        }
        _ => false,
    };
    if !numeric {
        return plan_err!("{HYBRID}: {name} must be a number, got {}", e.schema_name());
    }
    Ok(Expr::Cast(Cast::new(Box::new(e), DataType::Float32)))
}

impl ExprPlanner for SearchPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> datafusion::error::Result<PlannerResult<RawBinaryExpr>> {
        match &expr.op {
            BinaryOperator::Custom(op) if op == "<#>" => Ok(PlannerResult::Planned(
                self.similarity(expr.left, expr.right, schema)?,
            )),
            BinaryOperator::AtArrow
                if matches!(
                    expr.left.get_type(schema)?,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                Ok(PlannerResult::Planned(
                    datafusion::functions::expr_fn::contains(expr.left, expr.right),
                ))
            }
            _ => Ok(PlannerResult::Original(expr)),
        }
    }
}

/// Plans the `deeplake_hybrid_record` type name.
#[derive(Debug, Default)]
pub struct HybridType;

impl TypePlanner for HybridType {
    fn plan_type_field(
        &self,
        sql_type: &ast::DataType,
    ) -> datafusion::error::Result<Option<FieldRef>> {
        match sql_type {
            ast::DataType::Custom(name, _) if name.to_string().eq_ignore_ascii_case(HYBRID) => {
                Ok(Some(Arc::new(Field::new(HYBRID, hybrid_type(), true))))
            }
            _ => Ok(None),
        }
    }
}

/// `deeplake_hybrid_record(vector, 'words', wv, wt)`: only meaningful on the right of `<#>`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HybridRecord {
    signature: Signature,
}

impl Default for HybridRecord {
    fn default() -> Self {
        Self {
            signature: Signature::any(4, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for HybridRecord {
    fn name(&self) -> &str {
        HYBRID
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(hybrid_type())
    }
    fn invoke_with_args(
        &self,
        _args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        plan_err!("{HYBRID}(…) is compared with (embedding, text)::{HYBRID} through '<#>'")
    }
}
