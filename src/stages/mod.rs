//! The side stages lakefeed ships. The pipeline runs whatever list it is given; [`default_stages`] is
//! the list an ingest gets unless it says otherwise.

mod keys;
#[cfg(feature = "media")]
mod thumbnail;

use std::sync::Arc;

use lakefeed_core::SideStage;

pub use keys::{THUMBNAILS_TABLE, thumbnail_keys};
#[cfg(feature = "media")]
pub use thumbnail::{ThumbnailStage, thumbnails_schema};

/// The stages of an ingest: thumbnails of IMAGE columns when `thumbnails` is on (and the build has the `media`
/// feature, whose JPEG codec makes them; without it a warning says none are made).
pub fn default_stages(thumbnails: bool) -> Vec<Arc<dyn SideStage>> {
    if !thumbnails {
        return Vec::new();
    }
    #[cfg(feature = "media")]
    return vec![Arc::new(ThumbnailStage)];
    #[cfg(not(feature = "media"))]
    {
        tracing::debug!("no thumbnails: this build has no media codecs (the `media` feature)");
        Vec::new()
    }
}
