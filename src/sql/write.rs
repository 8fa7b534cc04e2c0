//! Statements that write: `INSERT … VALUES/SELECT [ON CONFLICT (key) DO NOTHING | DO UPDATE]` and
//! `DELETE FROM t [WHERE …]`. Rows reach a managed service through its query endpoint this way, so the store
//! runs them: an INSERT's source is planned like any SELECT (its `$n` bound as values), then written through
//! the store's keyed writer. Also here: lakefeed's type names in casts (`decode($1, 'hex')::IMAGE`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    self, AlterTableOperation, AssignmentTarget, ConflictTarget, DataType as SqlType, Expr,
    FromTable, ObjectName, OnConflictAction, OnInsert, TableFactor,
};
use lakefeed_core::{Error, LogicalType, Result};

use super::Statement;

/// An INSERT to run.
#[derive(Debug)]
pub struct Insert {
    /// The target table.
    pub table: String,
    /// The target columns in the source's order (empty: all of the table's, in order).
    pub columns: Vec<String>,
    /// What to insert: VALUES or a SELECT over the caller's tables.
    pub source: Box<ast::Query>,
    /// `ON CONFLICT (key) …`.
    pub conflict: Option<Conflict>,
}

/// What an INSERT does with a row whose key is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The key columns.
    pub key: Vec<String>,
    /// `DO UPDATE` (replace the row) rather than `DO NOTHING` (keep it).
    pub replace: bool,
}

/// The last part of a (possibly qualified) name, unquoted.
pub(super) fn last_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn unsupported(what: &str) -> Error {
    Error::query(format!("{what} is not supported in INSERT here"))
}

pub(super) fn insert(ins: ast::Insert) -> Result<Statement> {
    let ast::TableObject::TableName(name) = &ins.table else {
        return Err(unsupported("a table function"));
    };
    if ins.returning.is_some() {
        return Err(unsupported("RETURNING"));
    }
    if !ins.assignments.is_empty() || ins.overwrite || ins.partitioned.is_some() {
        return Err(unsupported("this INSERT form"));
    }
    let source = ins
        .source
        .ok_or_else(|| Error::query("INSERT needs VALUES or a SELECT"))?;
    let columns: Vec<String> = ins.columns.iter().map(last_name).collect();
    let conflict = match &ins.on {
        None => None,
        Some(OnInsert::OnConflict(oc)) => Some(conflict(oc, &columns)?),
        Some(_) => return Err(unsupported("ON DUPLICATE KEY")),
    };
    Ok(Statement::Insert(Insert {
        table: last_name(name),
        columns,
        source,
        conflict,
    }))
}

/// `ON CONFLICT (key) DO NOTHING`, or `DO UPDATE SET c = EXCLUDED.c` for every inserted non-key column (the
/// row is replaced whole; partial updates are refused rather than done wrong).
fn conflict(oc: &ast::OnConflict, columns: &[String]) -> Result<Conflict> {
    let Some(ConflictTarget::Columns(key)) = &oc.conflict_target else {
        return Err(Error::query(
            "ON CONFLICT needs its key columns, e.g. ON CONFLICT (id)",
        ));
    };
    let key: Vec<String> = key.iter().map(|i| i.value.clone()).collect();
    let replace = match &oc.action {
        OnConflictAction::DoNothing => false,
        OnConflictAction::DoUpdate(u) => {
            if u.selection.is_some() {
                return Err(unsupported("DO UPDATE … WHERE"));
            }
            let mut set = Vec::new();
            for a in &u.assignments {
                let AssignmentTarget::ColumnName(target) = &a.target else {
                    return Err(unsupported("a tuple assignment"));
                };
                let target = last_name(target);
                let from_excluded = matches!(&a.value, Expr::CompoundIdentifier(parts)
                    if parts.len() == 2
                        && parts[0].value.eq_ignore_ascii_case("excluded")
                        && parts[1].value == target);
                if !from_excluded {
                    return Err(Error::query(format!(
                        "DO UPDATE supports only `{target} = EXCLUDED.{target}` (the whole row is replaced)"
                    )));
                }
                set.push(target);
            }
            let missing: Vec<&String> = columns
                .iter()
                .filter(|c| !key.contains(c) && !set.contains(c))
                .collect();
            if !missing.is_empty() {
                return Err(Error::query(format!(
                    "DO UPDATE must set every inserted column from EXCLUDED (missing: {missing:?}); \
                     the whole row is replaced"
                )));
            }
            true
        }
    };
    Ok(Conflict { key, replace })
}

pub(super) fn delete(del: &ast::Delete) -> Result<Statement> {
    let from = match &del.from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
    };
    let [one] = from.as_slice() else {
        return Err(Error::query("DELETE takes exactly one table"));
    };
    let TableFactor::Table { name, .. } = &one.relation else {
        return Err(Error::query("DELETE takes a table name"));
    };
    if !one.joins.is_empty()
        || del.using.is_some()
        || del.returning.is_some()
        || del.limit.is_some()
        || !del.order_by.is_empty()
    {
        return Err(Error::query(
            "DELETE supports only FROM table [WHERE predicate]",
        ));
    }
    Ok(Statement::Delete {
        table: last_name(name),
        predicate: del.selection.as_ref().map(ToString::to_string),
    })
}

/// A column `ALTER TABLE … ADD COLUMN` adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    /// Its name.
    pub name: String,
    /// Its SQL type name.
    pub sql_type: String,
    /// `IF NOT EXISTS`: a column of that name is kept.
    pub if_not_exists: bool,
}

/// `ALTER TABLE t ADD COLUMN [IF NOT EXISTS] c TYPE[, ADD COLUMN …]` (how the seed's clients add columns).
/// Other alterations, and column options (`NOT NULL`, `DEFAULT` — a new column is nullable and reads null),
/// are refused.
pub(super) fn alter(at: &ast::AlterTable) -> Result<Statement> {
    let mut columns: Vec<NewColumn> = Vec::new();
    for op in &at.operations {
        let AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            ..
        } = op
        else {
            return Err(Error::query("ALTER TABLE supports only ADD COLUMN here"));
        };
        let name = column_def.name.value.clone();
        if !column_def.options.is_empty() {
            return Err(Error::query(format!(
                "ADD COLUMN {name}: column options are not supported (new columns are nullable and read null)"
            )));
        }
        if columns.iter().any(|c| c.name == name) {
            return Err(Error::query(format!("column '{name}' is added twice")));
        }
        columns.push(NewColumn {
            name,
            sql_type: column_def.data_type.to_string(),
            if_not_exists: *if_not_exists,
        });
    }
    Ok(Statement::AddColumns {
        table: last_name(&at.name),
        columns,
    })
}

/// Rewrites casts to lakefeed's byte types (`::IMAGE`, `::VIDEO`, `::BINARY`…) as `::BYTEA` and `::JSON(B)` as
/// `::TEXT`, the stored types, so the seed's INSERT forms plan.
pub(super) fn stored_casts(stmt: &mut ast::Statement) {
    let _ = ast::visit_expressions_mut(stmt, |e| {
        if let Expr::Cast { data_type, .. } = e {
            let stored = match data_type {
                SqlType::JSON | SqlType::JSONB => Some(SqlType::Text),
                SqlType::Custom(name, args) if args.is_empty() => last_name(name)
                    .parse::<LogicalType>()
                    .ok()
                    .filter(|t| t.is_byte_domain() || *t == LogicalType::Binary)
                    .map(|_| SqlType::Bytea),
                _ => None,
            };
            if let Some(t) = stored {
                *data_type = t;
            }
        }
        ControlFlow::<()>::Continue(())
    });
}
