//! Percentiles and number formatting, computed by hand (no histogram crate).

/// A sorted sample of durations in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Dist {
    sorted: Vec<u64>,
}

impl Dist {
    /// No samples (every quantile is 0).
    pub const fn empty() -> Self {
        Dist { sorted: Vec::new() }
    }

    /// Sorts `samples` once; every query after that is O(1).
    pub fn new(mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        Dist { sorted: samples }
    }

    /// The `q` quantile (0.0..=1.0) by the nearest-rank method; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.sorted.is_empty() {
            return 0;
        }
        let rank = (q * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// Median.
    pub fn p50(&self) -> u64 {
        self.quantile(0.5)
    }

    /// 99th percentile.
    pub fn p99(&self) -> u64 {
        self.quantile(0.99)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The samples, ascending (for plotting the distribution).
    pub fn sorted(&self) -> &[u64] {
        &self.sorted
    }
}

/// Median of floating-point values (e.g. one throughput figure per round).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Smallest value (the worst round of a throughput figure).
pub fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Nanoseconds as microseconds with two decimals.
pub fn us(ns: u64) -> String {
    format!("{:.2} µs", ns as f64 / 1000.0)
}

/// A ratio `a / b` with two decimals and a multiplication sign.
pub fn ratio(a: f64, b: f64) -> String {
    if a == 0.0 || b == 0.0 || !a.is_finite() || !b.is_finite() {
        return "–".to_string();
    }
    format!("{:.2}×", a / b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d = Dist::new((1..=100).rev().collect());
        assert_eq!(d.p50(), 50, "median of 1..=100 by nearest rank");
        assert_eq!(d.p99(), 99, "p99 of 1..=100 by nearest rank");
        assert_eq!(d.quantile(1.0), 100, "max");
        assert_eq!(d.quantile(0.0), 1, "min");
        assert_eq!(Dist::new(Vec::new()).p50(), 0, "empty sample");
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0, "odd count");
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5, "even count");
    }
}
