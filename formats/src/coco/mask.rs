//! COCO segmentation → label masks, following pycocotools' `maskApi.c` exactly (polygon rasterisation through
//! `rleFrPoly`, compressed counts through `rleFrString`), so masks agree with `annToMask` pixel for pixel.
//!
//! RLE runs are column-major (x·h + y), alternating zeros and ones, starting with zeros.

/// Why a segmentation could not be rendered.
pub type MaskError = String;

/// Run lengths of a binary mask of `h`×`w`, column-major, starting with a run of zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rle {
    /// Height.
    pub h: u32,
    /// Width.
    pub w: u32,
    /// Alternating run lengths (zeros first).
    pub counts: Vec<u32>,
}

impl Rle {
    /// An RLE from counts, checking they cover exactly h·w pixels.
    pub fn new(h: u32, w: u32, counts: Vec<u32>) -> Result<Self, MaskError> {
        let total: u64 = counts.iter().map(|c| u64::from(*c)).sum();
        if total != u64::from(h) * u64::from(w) {
            return Err(format!(
                "RLE counts sum to {total}, not h·w = {}·{} = {}",
                h,
                w,
                u64::from(h) * u64::from(w)
            ));
        }
        Ok(Self { h, w, counts })
    }

    /// Sets `label[y·w + x] = value` on every pixel of the mask (row-major label image of the same size).
    pub fn paint<T: Copy>(&self, label: &mut [T], value: T) {
        let (h, w) = (self.h as usize, self.w as usize);
        let mut pos = 0usize;
        for (i, &c) in self.counts.iter().enumerate() {
            let c = c as usize;
            if i % 2 == 1 {
                for p in pos..(pos + c).min(h * w) {
                    let (x, y) = (p / h, p % h);
                    label[y * w + x] = value;
                }
            }
            pos += c;
        }
    }
}

/// Decodes COCO's compressed counts string (`rleFrString`).
pub fn from_string(s: &str, h: u32, w: u32) -> Result<Rle, MaskError> {
    let bytes = s.as_bytes();
    let mut counts: Vec<u32> = Vec::with_capacity(bytes.len());
    let mut p = 0;
    while p < bytes.len() {
        let (mut x, mut k, mut more) = (0i64, 0u32, true);
        while more {
            let Some(&byte) = bytes.get(p) else {
                return Err("compressed RLE string ends inside a number".into());
            };
            let c = i64::from(byte) - 48;
            if !(0..64).contains(&c) || k > 12 {
                return Err(format!(
                    "bad character {:?} in compressed RLE",
                    byte as char
                ));
            }
            x |= (c & 0x1f) << (5 * k);
            more = c & 0x20 != 0;
            p += 1;
            k += 1;
            if !more && (c & 0x10) != 0 {
                x |= -1i64 << (5 * k);
            }
        }
        if counts.len() > 2 {
            x += i64::from(counts[counts.len() - 2]);
        }
        counts.push(
            u32::try_from(x).map_err(|_| format!("negative run length {x} in compressed RLE"))?,
        );
    }
    Rle::new(h, w, counts)
}

/// Rasterises one polygon `[x0, y0, x1, y1, …]` as pycocotools does (`rleFrPoly`): the outline is upsampled 5×,
/// walked, and its crossings of pixel columns become run boundaries.
pub fn from_polygon(xy: &[f64], h: u32, w: u32) -> Result<Rle, MaskError> {
    let k = xy.len() / 2;
    if !xy.len().is_multiple_of(2) || k < 3 {
        return Err(format!(
            "polygon with {} coordinates: at least 3 points (6 numbers) are needed",
            xy.len()
        ));
    }
    let scale = 5.0f64;
    let mut x: Vec<i64> = (0..k).map(|j| (scale * xy[2 * j] + 0.5) as i64).collect();
    let mut y: Vec<i64> = (0..k)
        .map(|j| (scale * xy[2 * j + 1] + 0.5) as i64)
        .collect();
    x.push(x[0]);
    y.push(y[0]);
    let (mut u, mut v): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
    for j in 0..k {
        let (mut xs, mut xe, mut ys, mut ye) = (x[j], x[j + 1], y[j], y[j + 1]);
        let dx = (xe - xs).abs();
        let dy = (ys - ye).abs();
        let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if flip {
            std::mem::swap(&mut xs, &mut xe);
            std::mem::swap(&mut ys, &mut ye);
        }
        if dx >= dy {
            let s = if dx == 0 {
                0.0
            } else {
                (ye - ys) as f64 / dx as f64
            };
            for d in 0..=dx {
                let t = if flip { dx - d } else { d };
                u.push(t + xs);
                v.push((ys as f64 + s * t as f64 + 0.5) as i64);
            }
        } else {
            let s = (xe - xs) as f64 / dy as f64;
            for d in 0..=dy {
                let t = if flip { dy - d } else { d };
                v.push(t + ys);
                u.push((xs as f64 + s * t as f64 + 0.5) as i64);
            }
        }
    }
    let (hf, wf) = (f64::from(h), f64::from(w));
    let mut a: Vec<u64> = Vec::new();
    for j in 1..u.len() {
        if u[j] == u[j - 1] {
            continue;
        }
        let xd = (if u[j] < u[j - 1] { u[j] } else { u[j] - 1 }) as f64;
        let xd = (xd + 0.5) / scale - 0.5;
        if xd.floor() != xd || xd < 0.0 || xd > wf - 1.0 {
            continue;
        }
        let yd = (if v[j] < v[j - 1] { v[j] } else { v[j - 1] }) as f64;
        let yd = ((yd + 0.5) / scale - 0.5).clamp(0.0, hf).ceil();
        a.push(xd as u64 * u64::from(h) + yd as u64);
    }
    a.push(u64::from(h) * u64::from(w));
    a.sort_unstable();
    let mut prev = 0u64;
    for v in a.iter_mut() {
        let t = *v;
        *v -= prev;
        prev = t;
    }
    let mut counts: Vec<u32> = Vec::with_capacity(a.len());
    let mut j = 0;
    counts.push(a[j] as u32);
    j += 1;
    while j < a.len() {
        if a[j] > 0 {
            counts.push(a[j] as u32);
            j += 1;
        } else {
            j += 1;
            if j < a.len() {
                let last = counts.len() - 1;
                counts[last] += a[j] as u32;
                j += 1;
            }
        }
    }
    Rle::new(h, w, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(rle: &Rle) -> Vec<u8> {
        let mut m = vec![0u8; (rle.h * rle.w) as usize];
        rle.paint(&mut m, 1);
        m
    }

    #[test]
    fn square_polygon_covers_its_pixels() {
        // A 4×4 square from (1,1) to (5,5) in a 8×8 image: pycocotools gives rows/cols 1..=4.
        let rle = from_polygon(&[1.0, 1.0, 5.0, 1.0, 5.0, 5.0, 1.0, 5.0], 8, 8).unwrap();
        let m = dense(&rle);
        let on: Vec<(usize, usize)> = (0..64)
            .filter(|i| m[*i] == 1)
            .map(|i| (i % 8, i / 8))
            .collect();
        assert_eq!(on.len(), 16, "{on:?}");
        assert!(
            on.iter()
                .all(|(x, y)| (1..=4).contains(x) && (1..=4).contains(y)),
            "{on:?}"
        );
    }

    #[test]
    fn compressed_strings_decode_and_check_totals() {
        assert_eq!(from_string("04", 2, 2).unwrap().counts, vec![0, 4]);
        // From the third count on, each is stored as a difference to the count two before.
        let rle = from_string("0200", 2, 2).unwrap();
        assert_eq!(rle.counts, vec![0, 2, 0, 2]);
        assert_eq!(dense(&rle), vec![1, 1, 1, 1]);
        assert!(from_string("05", 2, 2).unwrap_err().contains("sum to 5"));
        assert!(
            from_polygon(&[0.0, 0.0, 1.0, 1.0], 4, 4)
                .unwrap_err()
                .contains("at least 3 points")
        );
    }
}
