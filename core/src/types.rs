//! Logical column types: names as users write them, their Arrow types, and their managed-service SQL types.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field};

use crate::error::{Error, Result};

/// Field-metadata key that carries a column's logical (domain) type.
pub const TYPE_KEY: &str = "lakefeed:type";

/// A column type as written in a `schema:` hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// UTF-8 text.
    Text,
    /// 32-bit integer.
    Int32,
    /// 64-bit integer (`INT` is an alias).
    Int64,
    /// 32-bit float.
    Float32,
    /// 64-bit float (`FLOAT` is an alias).
    Float64,
    /// Boolean.
    Bool,
    /// Raw bytes.
    Binary,
    /// Encoded image file bytes (gets thumbnails).
    Image,
    /// Encoded video file bytes.
    Video,
    /// A segmentation mask image.
    SegmentMask,
    /// A binary mask.
    BinaryMask,
    /// Polygon bytes.
    Polygon,
    /// Mesh bytes (PLY, …).
    Mesh,
    /// Medical image bytes (DICOM, …).
    Medical,
    /// Float32 vector; `Some(n)` fixes its length.
    Embedding(Option<i32>),
    /// `[x, y, w, h]` in pixels.
    BoundingBox,
    /// `[x, y]`.
    Point,
    /// Class index (Int32).
    ClassLabel,
    /// Text holding JSON.
    Json,
    /// A directive: the column holds paths to read and chunk. Never stored.
    File,
}

const BYTE_DOMAINS: [(LogicalType, &str); 7] = [
    (LogicalType::Image, "IMAGE"),
    (LogicalType::Video, "VIDEO"),
    (LogicalType::SegmentMask, "SEGMENT_MASK"),
    (LogicalType::BinaryMask, "BINARY_MASK"),
    (LogicalType::Polygon, "POLYGON"),
    (LogicalType::Mesh, "MESH"),
    (LogicalType::Medical, "MEDICAL"),
];

/// Every type name users may write (aliases included), for error messages and the JSON Schema.
pub const TYPE_NAMES: &[&str] = &[
    "TEXT",
    "INT",
    "INT32",
    "INT64",
    "FLOAT",
    "FLOAT32",
    "FLOAT64",
    "BOOL",
    "BINARY",
    "IMAGE",
    "VIDEO",
    "SEGMENT_MASK",
    "BINARY_MASK",
    "POLYGON",
    "MESH",
    "MEDICAL",
    "EMBEDDING",
    "EMBEDDING(n)",
    "BOUNDING_BOX",
    "POINT",
    "CLASS_LABEL",
    "JSON",
    "FILE",
];

impl LogicalType {
    /// The canonical name (`EMBEDDING(384)` when the length is fixed).
    pub fn name(self) -> String {
        match self {
            Self::Embedding(Some(n)) => format!("EMBEDDING({n})"),
            other => other.base_name().to_string(),
        }
    }

    fn base_name(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Int32 => "INT32",
            Self::Int64 => "INT64",
            Self::Float32 => "FLOAT32",
            Self::Float64 => "FLOAT64",
            Self::Bool => "BOOL",
            Self::Binary => "BINARY",
            Self::Embedding(_) => "EMBEDDING",
            Self::BoundingBox => "BOUNDING_BOX",
            Self::Point => "POINT",
            Self::ClassLabel => "CLASS_LABEL",
            Self::Json => "JSON",
            Self::File => "FILE",
            domain => BYTE_DOMAINS
                .iter()
                .find(|(t, _)| *t == domain)
                .map(|(_, n)| *n)
                .unwrap_or("BINARY"),
        }
    }

    /// True for the byte-holding domain types (IMAGE, VIDEO, masks, …).
    pub fn is_byte_domain(self) -> bool {
        BYTE_DOMAINS.iter().any(|(t, _)| *t == self)
    }

    /// The Arrow type for this logical type. `None` for `FILE` and for an `EMBEDDING` of unknown length.
    pub fn arrow_type(self) -> Option<DataType> {
        Some(match self {
            Self::Text | Self::Json => DataType::Utf8,
            Self::Int32 | Self::ClassLabel => DataType::Int32,
            Self::Int64 => DataType::Int64,
            Self::Float32 => DataType::Float32,
            Self::Float64 => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Embedding(Some(n)) => vector_type(n),
            Self::BoundingBox => vector_type(4),
            Self::Point => vector_type(2),
            Self::Embedding(None) | Self::File => return None,
            _ => DataType::Binary,
        })
    }

    /// The managed service's SQL type for this column.
    pub fn sql_type(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Int32 | Self::ClassLabel => "INTEGER",
            Self::Int64 => "BIGINT",
            Self::Float32 => "REAL",
            Self::Float64 => "DOUBLE PRECISION",
            Self::Bool => "BOOLEAN",
            Self::Binary => "BYTEA",
            Self::Json => "JSONB",
            Self::Embedding(_) | Self::BoundingBox | Self::Point => "float4[]",
            Self::File => "TEXT",
            domain => domain.base_name(),
        }
    }

    /// An Arrow field of this type, carrying the domain type in its metadata.
    pub fn field(self, name: &str, data_type: DataType) -> Field {
        Field::new(name, data_type, true)
            .with_metadata(HashMap::from([(TYPE_KEY.to_string(), self.name())]))
    }

    /// The logical type recorded on a field, else the one its Arrow type implies.
    pub fn of_field(field: &Field) -> Option<Self> {
        if let Some(t) = field.metadata().get(TYPE_KEY).and_then(|s| s.parse().ok()) {
            return Some(t);
        }
        Self::from_arrow(field.data_type())
    }

    /// The plain logical type an Arrow type maps to, when there is one.
    pub fn from_arrow(dt: &DataType) -> Option<Self> {
        Some(match dt {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Self::Text,
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16 => Self::Int32,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Self::Int64,
            DataType::Float16 | DataType::Float32 => Self::Float32,
            DataType::Float64 => Self::Float64,
            DataType::Boolean => Self::Bool,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Self::Binary,
            DataType::FixedSizeList(_, n) => Self::Embedding(Some(*n)),
            DataType::List(_) | DataType::LargeList(_) => Self::Embedding(None),
            _ => return None,
        })
    }
}

/// `FixedSizeList<Float32, n>`, the Arrow type of vectors.
pub fn vector_type(n: i32) -> DataType {
    DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), n)
}

impl fmt::Display for LogicalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for LogicalType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let upper = s.trim().to_ascii_uppercase();
        if let Some(inner) = upper
            .strip_prefix("EMBEDDING(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let n: i32 = inner
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    Error::Ingest(format!(
                        "bad type '{s}': EMBEDDING(n) needs a positive length"
                    ))
                })?;
            return Ok(Self::Embedding(Some(n)));
        }
        Ok(match upper.as_str() {
            "TEXT" => Self::Text,
            "INT32" => Self::Int32,
            "INT" | "INT64" => Self::Int64,
            "FLOAT32" => Self::Float32,
            "FLOAT" | "FLOAT64" => Self::Float64,
            "BOOL" => Self::Bool,
            "BINARY" => Self::Binary,
            "EMBEDDING" => Self::Embedding(None),
            "BOUNDING_BOX" => Self::BoundingBox,
            "POINT" => Self::Point,
            "CLASS_LABEL" => Self::ClassLabel,
            "JSON" => Self::Json,
            "FILE" => Self::File,
            other => BYTE_DOMAINS
                .iter()
                .find(|(_, n)| *n == other)
                .map(|(t, _)| *t)
                .ok_or_else(|| {
                    Error::Ingest(format!(
                        "unknown type '{s}'; known types: {}",
                        TYPE_NAMES.join(", ")
                    ))
                })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases() {
        assert_eq!("int".parse::<LogicalType>().unwrap(), LogicalType::Int64);
        assert_eq!(
            "FLOAT".parse::<LogicalType>().unwrap(),
            LogicalType::Float64
        );
        assert_eq!(
            "embedding(384)".parse::<LogicalType>().unwrap(),
            LogicalType::Embedding(Some(384))
        );
        assert_eq!(
            "SEGMENT_MASK".parse::<LogicalType>().unwrap(),
            LogicalType::SegmentMask
        );
        assert!("EMBEDDING(0)".parse::<LogicalType>().is_err());
        assert!("VARCHAR".parse::<LogicalType>().is_err());
    }

    #[test]
    fn names_round_trip() {
        for name in TYPE_NAMES.iter().filter(|n| !n.contains("(n)")) {
            let t: LogicalType = name.parse().unwrap();
            assert_eq!(t.name().parse::<LogicalType>().unwrap(), t, "{name}");
        }
    }

    #[test]
    fn domain_type_travels_in_metadata() {
        let f = LogicalType::Image.field("img", DataType::Binary);
        assert_eq!(LogicalType::of_field(&f), Some(LogicalType::Image));
        assert_eq!(LogicalType::Image.sql_type(), "IMAGE");
        assert_eq!(
            LogicalType::Embedding(Some(3)).arrow_type(),
            Some(vector_type(3))
        );
    }
}
