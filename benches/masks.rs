//! COCO masks (issue 4): label masks painted from every annotation and PNG-encoded, vs pycocotools `annToMask`
//! + Pillow PNG, on the COCO fixture (79 images, 624 annotations), one core and all cores.
//!
//! `cargo bench --profile dev --bench masks`

#![allow(clippy::print_stdout)]

mod common;

use std::collections::HashMap;

use lakefeed_formats::coco::json::{Annotation, Instances, load};
use lakefeed_formats::coco::{paint, png};
use rayon::prelude::*;

fn main() {
    let path = common::fixtures().join("coco/annotations/instances_val2017.json");
    let inst: Instances = load(&path).expect("instances");
    let mut by_image: HashMap<i64, Vec<&Annotation>> = HashMap::new();
    for a in &inst.annotations {
        by_image.entry(a.image_id).or_default().push(a);
    }
    let work = || {
        inst.images.par_iter().for_each(|img| {
            let anns = by_image.get(&img.id).cloned().unwrap_or_default();
            let (label, problems) = paint(&anns, img.height, img.width);
            assert!(problems.is_empty());
            png(label, img.height, img.width).expect("png");
        })
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let n = inst.images.len() as f64;
    let one = common::with_threads(1, || common::median_secs(7, work));
    let all = common::with_threads(cores, || common::median_secs(7, work));
    let py = common::baseline("masks.py", &[path.display().to_string(), cores.to_string()]);
    let f = |k: &str| py[k].as_f64().unwrap();
    common::table(
        "COCO masks + PNG, masks per second, 1 core (shown as seconds per mask)",
        "s/mask",
        ("lakefeed (own RLE/polygon → 8/16-bit PNG)", one / n),
        &[("pycocotools annToMask + Pillow PNG", f("one") / n)],
    );
    common::table(
        &format!("COCO masks + PNG, {cores} cores (seconds per mask)"),
        "s/mask",
        ("lakefeed (rayon)", all / n),
        &[("pycocotools + Pillow (multiprocessing)", f("all") / n)],
    );
    println!(
        "\nlakefeed: {:.0} masks/s on 1 core, {:.0} masks/s on {cores} cores",
        n / one,
        n / all
    );
}
