//! Replica statistics: the mean and its standard error.
//!
//! Replicas are independent runs (separate random streams), so the standard error of the
//! mean is the sample standard deviation over √n. The formulas are two lines each; a
//! statistics crate would add a dependency for nothing more.

/// Mean and standard error of the mean of independent samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (with n − 1); 0 for a single sample.
    pub std_dev: f64,
    /// Standard error of the mean, `std_dev / √n`; 0 for a single sample.
    pub sem: f64,
}

/// Summarises `values`; `None` when there are none.
#[must_use]
pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std_dev = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some(Summary {
        n: values.len(),
        mean,
        std_dev,
        sem: std_dev / n.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_mean_and_standard_error_of_known_samples() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.n, 4);
        assert!((s.mean - 2.5).abs() < 1e-15);
        // sample variance 5/3.
        assert!((s.std_dev - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((s.sem - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        let one = summarize(&[7.0]).unwrap();
        assert_eq!((one.mean, one.sem), (7.0, 0.0));
        assert!(summarize(&[]).is_none());
    }
}
