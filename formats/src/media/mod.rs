//! Pixel helpers shared by the formats and the engine's thumbnail stage: JPEG decoding at a reduced DCT scale
//! and encoding (libjpeg-turbo), and the four thumbnails of an encoded image.

pub mod jpeg;
mod thumbs;

pub use thumbs::{BOXES, QUALITY, Thumb, fit, thumbnails};
