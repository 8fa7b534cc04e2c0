//! Checking a panoptic PNG against its `segments_info`: every segment id occurs with a pixel count equal to its
//! `area`, and the PNG holds no other non-void id.

use std::collections::HashMap;

use crate::coco::json::ImageInfo;

/// The problems found (empty when the PNG agrees with the JSON).
pub fn check(png: &[u8], info: &ImageInfo, segments: &[serde_json::Value]) -> Vec<String> {
    let decoded = crate::media::checked_decoder(png, Some(image::ImageFormat::Png))
        .and_then(|d| image::DynamicImage::from_decoder(d).map_err(|e| e.to_string()));
    let img = match decoded {
        Ok(i) => i.into_rgb8(),
        Err(e) => {
            return vec![format!(
                "image {}: panoptic PNG cannot be decoded: {e}",
                info.id
            )];
        }
    };
    let mut problems = Vec::new();
    if (img.width(), img.height()) != (info.width, info.height) {
        problems.push(format!(
            "image {}: PNG is {}x{} but the image is {}x{}",
            info.id,
            img.width(),
            img.height(),
            info.width,
            info.height
        ));
    }
    let mut counts: HashMap<u32, u64> = HashMap::new();
    for p in img.pixels() {
        let [r, g, b] = p.0;
        *counts
            .entry(u32::from(r) + 256 * u32::from(g) + 65536 * u32::from(b))
            .or_default() += 1;
    }
    let mut listed = std::collections::HashSet::new();
    for seg in segments {
        let Some(id) = seg.get("id").and_then(serde_json::Value::as_u64) else {
            problems.push(format!("image {}: a segment has no numeric id", info.id));
            continue;
        };
        listed.insert(id as u32);
        let area = seg
            .get("area")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(-1.0);
        match counts.get(&(id as u32)) {
            None => problems.push(format!(
                "image {}: segment {id} does not occur in the PNG",
                info.id
            )),
            Some(&n) if n as f64 != area => {
                problems.push(format!(
                    "image {}: segment {id} covers {n} pixels but its area is {area}",
                    info.id
                ));
            }
            Some(_) => {}
        }
    }
    for id in counts.keys().filter(|id| **id != 0 && !listed.contains(id)) {
        problems.push(format!(
            "image {}: the PNG holds segment id {id}, which segments_info does not list",
            info.id
        ));
    }
    problems
}
