//! The side stages lakefeed ships (§4, §6). The pipeline runs whatever list it is given; [`default_stages`] is
//! the list an ingest gets unless it says otherwise.

mod thumbnail;

use std::sync::Arc;

use lakefeed_core::SideStage;

pub use thumbnail::{THUMBNAILS_TABLE, ThumbnailStage, thumbnails_schema};

/// The stages of an ingest: thumbnails of IMAGE columns when `thumbnails` is on.
pub fn default_stages(thumbnails: bool) -> Vec<Arc<dyn SideStage>> {
    if thumbnails {
        vec![Arc::new(ThumbnailStage)]
    } else {
        Vec::new()
    }
}
