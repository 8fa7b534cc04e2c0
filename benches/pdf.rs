//! PDF pages (issue 3): every page of the fixture PDFs rendered at 300 DPI to PNG with its text, vs pypdfium2
//! rendering the same pages at the same DPI and saving PNG with Pillow.
//!
//! `cargo bench --profile dev --bench pdf`

#![allow(clippy::print_stdout)]

mod common;

fn main() {
    let dir = common::fixtures().join("files/pdf");
    let mut pdfs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pdfs.sort();
    let env = lakefeed::FormatEnv::default();
    let mut pages = 0;
    let ours = common::median_secs(5, || {
        let f = lakefeed::build_format(
            "files",
            serde_json::json!({"paths": pdfs, "pdf_dpi": 300}),
            &env,
        )
        .unwrap();
        pages = f
            .normalize(&lakefeed::IngestContext::default())
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .sum();
    });
    let args: Vec<String> = std::iter::once("300".to_string())
        .chain(pdfs.iter().map(|p| p.display().to_string()))
        .collect();
    let py = common::baseline("pdf.py", &args);
    assert_eq!(py["pages"].as_u64(), Some(pages as u64));
    common::table(
        &format!("PDF, {pages} pages at 300 DPI to PNG + text (seconds per page)"),
        "s/page",
        ("lakefeed (PDFium via pdfium-render)", ours / pages as f64),
        &[(
            "pypdfium2 + Pillow PNG",
            py["secs"].as_f64().unwrap() / pages as f64,
        )],
    );
}
