//! Projection of weighted atoms onto the pixel grid.
//!
//! Each atom at `(u, v)` deposits its weight `w` (Zⁿ for HAADF, 1 for an elemental map)
//! onto the four pixels around it with bilinear ("cloud-in-cell") weights, so a pixel holds
//! the summed weight of the atomic column through it, the total Σ w is exact, and a column
//! off the pixel centres moves its centroid continuously. A column exactly at a pixel centre
//! puts all of `count · w` into that pixel.

use super::view::ImageGrid;

/// A grey-level image, rows from the top, `values[j * width + i]` [weight per pixel].
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Pixel values, row-major from the top row.
    pub values: Vec<f64>,
}

impl Image {
    /// A black image.
    #[must_use]
    pub fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            values: vec![0.0; width * height],
        }
    }

    /// The value at column `i`, row `j`.
    #[must_use]
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.width + i]
    }

    /// The sum of all pixels.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    /// The largest pixel value (0 for an empty image).
    #[must_use]
    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }
}

/// Projects the atoms at `points` [Å, image plane] with `weights` onto `grid`; atoms with
/// weight 0 (vacancies, other species) are skipped; weight falling outside the grid is lost
/// (the grid's margin keeps every site inside).
#[must_use]
pub fn project(grid: &ImageGrid, points: &[[f64; 2]], weights: impl Fn(usize) -> f64) -> Image {
    let mut image = Image::zeros(grid.width, grid.height);
    #[allow(clippy::cast_possible_wrap)]
    let (w, h) = (grid.width as isize, grid.height as isize);
    for (site, p) in points.iter().enumerate() {
        let weight = weights(site);
        if weight == 0.0 {
            continue;
        }
        // Continuous pixel coordinates with pixel centres at integers.
        let x = (p[0] - grid.u_min) / grid.pixel - 0.5;
        let y = (grid.v_max - p[1]) / grid.pixel - 0.5;
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        #[allow(clippy::cast_possible_truncation)]
        let (i0, j0) = (x0 as isize, y0 as isize);
        for (di, dj, share) in [
            (0, 0, (1.0 - fx) * (1.0 - fy)),
            (1, 0, fx * (1.0 - fy)),
            (0, 1, (1.0 - fx) * fy),
            (1, 1, fx * fy),
        ] {
            let (i, j) = (i0 + di, j0 + dj);
            if share > 0.0 && (0..w).contains(&i) && (0..h).contains(&j) {
                #[allow(clippy::cast_sign_loss)]
                let index = j as usize * grid.width + i as usize;
                image.values[index] += weight * share;
            }
        }
    }
    image
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss)]
mod tests {
    use super::*;

    fn grid() -> ImageGrid {
        ImageGrid {
            u_min: 0.0,
            v_max: 10.0,
            pixel: 0.5,
            width: 20,
            height: 20,
        }
    }

    #[test]
    fn projection_off_centre_conserves_weight_and_centroid() {
        let g = grid();
        let image = project(&g, &[[3.1, 6.3]], |_| 2.0);
        assert!((image.total() - 2.0).abs() < 1e-12);
        let (mut cu, mut cv) = (0.0, 0.0);
        for j in 0..g.height {
            for i in 0..g.width {
                let u = (i as f64 + 0.5) * g.pixel;
                let v = g.v_max - (j as f64 + 0.5) * g.pixel;
                cu += u * image.at(i, j);
                cv += v * image.at(i, j);
            }
        }
        assert!((cu / 2.0 - 3.1).abs() < 1e-12 && (cv / 2.0 - 6.3).abs() < 1e-12);
    }
}
