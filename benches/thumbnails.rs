//! Thumbnails (issue 3): four JPEG thumbnails (256/128/64/32, q85) per image, vs Pillow `Image.thumbnail`, per
//! image on one core and over all cores, on the COCO fixture JPEGs and one 12-megapixel photo-like JPEG.
//!
//! `cargo bench --profile dev --bench thumbnails`

#![allow(clippy::print_stdout)]

mod common;

use rayon::prelude::*;

fn main() {
    let dir = common::fixtures().join("coco/val2017");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let small: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let big_path = std::env::temp_dir().join("lakefeed-bench-12mp.jpg");
    if !big_path.exists() {
        let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
            let v = ((x * 7 + y * 13) ^ (x * y / 97)) as u8;
            image::Rgb([v, v.wrapping_mul(3), (x / 16) as u8 ^ (y / 16) as u8])
        });
        img.save_with_format(&big_path, image::ImageFormat::Jpeg)
            .unwrap();
    }
    let big_one = std::fs::read(&big_path).unwrap();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let run = |set: &[Vec<u8>]| {
        set.par_iter().for_each(|b| {
            lakefeed::lakefeed_formats::media::thumbnails(b).expect("thumbnails");
        })
    };
    let mut ours = Vec::new();
    let big_many = vec![big_one.clone(); cores];
    let big_single = vec![big_one];
    for (name, one_set, all_set, runs) in [
        ("coco", &small, &small, 5),
        ("12mp", &big_single, &big_many, 9),
    ] {
        let one = common::with_threads(1, || common::median_secs(runs, || run(one_set)))
            / one_set.len() as f64;
        let all = common::with_threads(cores, || common::median_secs(runs, || run(all_set)))
            / all_set.len() as f64;
        ours.push((name, one, all));
    }
    let py = common::baseline(
        "thumbnails.py",
        &[
            dir.display().to_string(),
            big_path.display().to_string(),
            cores.to_string(),
        ],
    );
    for (name, one, all) in ours {
        let b = &py[name];
        let f = |k: &str| b[k].as_f64().unwrap();
        common::table(
            &format!("Thumbnails, {name} images: seconds per image, 1 core"),
            "s/image",
            (
                "lakefeed (turbojpeg DCT-scaled decode + fast_image_resize)",
                one,
            ),
            &[
                (
                    "Pillow, open + thumbnail per size (the seed's way)",
                    f("per_size_1"),
                ),
                ("Pillow, one draft decode + 4 thumbnails", f("draft_once_1")),
            ],
        );
        common::table(
            &format!("Thumbnails, {name} images: seconds per image, {cores} cores"),
            "s/image",
            ("lakefeed (rayon)", all),
            &[
                ("Pillow per size (multiprocessing)", f("per_size_all")),
                ("Pillow draft once (multiprocessing)", f("draft_once_all")),
            ],
        );
    }
}
