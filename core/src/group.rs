//! Format groups: one source converted into several tables by registered formats, e.g. `lerobot` turns a dataset
//! directory into `{prefix}_tasks`, `{prefix}_frames` and `{prefix}_episodes`
//! (`lakefeed ingest --format lerobot DIR --prefix droid`).

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::format::find_format;
use crate::util::did_you_mean;

/// A registered group: submitted with `inventory::submit!`, found by name like a format.
#[derive(Debug)]
pub struct FormatGroup {
    /// Stable lower-case name, used with `--format`.
    pub name: &'static str,
    /// One line on what the group converts.
    pub description: &'static str,
    /// The member option the source (the positional argument) fills.
    pub source_option: &'static str,
    /// Each member: its table's suffix and its format.
    pub members: &'static [(&'static str, &'static str)],
}

inventory::collect!(FormatGroup);

/// One table of an expanded group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTable {
    /// `{prefix}_{suffix}`.
    pub table: String,
    /// The member format.
    pub format: &'static str,
    /// Its options: the source, and those of the given options the format takes.
    pub options: Value,
}

/// Every registered group, sorted by name.
pub fn format_groups() -> Vec<&'static FormatGroup> {
    let mut all: Vec<_> = inventory::iter::<FormatGroup>.into_iter().collect();
    all.sort_by_key(|g| g.name);
    all
}

/// The group registered as `name`, if any.
pub fn find_group(name: &str) -> Option<&'static FormatGroup> {
    format_groups().into_iter().find(|g| g.name == name)
}

/// The option names a format's schema declares.
fn option_names(format: &str) -> Result<Vec<String>> {
    let schema = (find_format(format)?.options_schema)();
    Ok(schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default())
}

impl FormatGroup {
    /// The tables `source` converts into under `prefix`. Each option goes to every member that takes it; one no
    /// member takes is an error.
    pub fn expand(
        &self,
        prefix: &str,
        source: &str,
        options: &Map<String, Value>,
    ) -> Result<Vec<GroupTable>> {
        let mut used: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for (suffix, format) in self.members {
            let takes = option_names(format)?;
            let mut opts = Map::new();
            opts.insert(self.source_option.into(), Value::String(source.into()));
            for (k, v) in options {
                if takes.contains(k) {
                    opts.insert(k.clone(), v.clone());
                    used.push(k);
                }
            }
            out.push(GroupTable {
                table: format!("{prefix}_{suffix}"),
                format,
                options: Value::Object(opts),
            });
        }
        if let Some(k) = options.keys().find(|k| !used.contains(&k.as_str())) {
            let mut all: Vec<String> = Vec::new();
            for (_, f) in self.members {
                all.extend(option_names(f)?);
            }
            return Err(Error::Ingest(format!(
                "format group '{}': no member takes the option '{k}'{}",
                self.name,
                did_you_mean(k, all.iter().map(String::as_str))
            )));
        }
        Ok(out)
    }
}
