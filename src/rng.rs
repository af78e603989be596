//! The random number generator: one named PRNG, seeding, independent streams, and the
//! few variates the kMC step needs.
//!
//! The crate uses exactly one generator, [`Rng`] = xoshiro256++ [Blackman 2021], not
//! `rand::rngs::StdRng`, whose algorithm may change between `rand` versions and would
//! silently change every reference trajectory. Floating-point variates are made here from
//! the raw 64-bit outputs, so they do not depend on `rand`'s distribution code either.
//!
//! In the kMC step (see the engine module), [`exponential`] (or `-ln(`[`uniform_open01`]`)/R`)
//! draws the waiting time and `uniform_open01() * R` the selection target; [`uniform_index`]
//! serves unbiased picks among `n` candidates (analysis, initial configurations).
//!
//! # Streams
//! [`stream`]`(seed, replica)` seeds with `seed_from_u64(seed)` (`SplitMix64` expansion of the
//! 64-bit seed into the 256-bit state) and then calls `jump()` `replica` times. Each jump
//! advances the state by 2¹²⁸ outputs, so replicas are non-overlapping sub-sequences of one
//! period-(2²⁵⁶ − 1) sequence as long as each uses fewer than 2¹²⁸ numbers. Replica 0 is
//! the un-jumped generator. Jumping costs O(replica), about 256 generator steps per jump.
//!
//! # Checkpoints
//! The generator derives `serde::Serialize`/`Deserialize` (its state is four `u64` words),
//! so a checkpoint restores the exact stream. Formats that cannot hold a `u64` above
//! `i64::MAX` (TOML integers are `i64`) must store the state another way, for example in a
//! binary or JSON checkpoint.
//!
//! # References
//! - [Blackman 2021] D. Blackman, S. Vigna, "Scrambled linear pseudorandom number
//!   generators", ACM Trans. Math. Softw. 47, 36 (2021).
//! - [Lemire 2019] D. Lemire, "Fast random integer generation in an interval", ACM Trans.
//!   Model. Comput. Simul. 29, 3 (2019).

use rand_core::{RngCore, SeedableRng};

/// The generator of the crate: xoshiro256++ (period 2²⁵⁶ − 1, 256-bit state).
pub type Rng = rand_xoshiro::Xoshiro256PlusPlus;

/// 2⁻⁵³, the spacing of the 53-bit grid used by [`uniform_open01`].
const TWO_POW_MINUS_53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The generator for `replica` of a run seeded with `seed`.
///
/// Seeds with `Rng::seed_from_u64(seed)` and then jumps `replica` times (2¹²⁸ steps each),
/// so different replicas of one seed draw from non-overlapping parts of the same sequence.
/// The same `(seed, replica)` always gives the same sequence, on every platform.
///
/// # Example
/// ```
/// use nanokmc::rng::{stream, uniform_open01};
/// let mut a = stream(42, 0);
/// let mut b = stream(42, 0);
/// assert_eq!(uniform_open01(&mut a), uniform_open01(&mut b));
/// ```
#[must_use]
pub fn stream(seed: u64, replica: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    for _ in 0..replica {
        rng.jump();
    }
    rng
}

/// A uniform variate in (0, 1] [dimensionless].
///
/// Built from the top 53 bits `k` of one `next_u64` as `(k + 1) · 2⁻⁵³`, so every value is
/// an exact multiple of 2⁻⁵³ in [2⁻⁵³, 1]. Zero is excluded on purpose: the kMC waiting time
/// `-ln(u) / R` is then always finite (at most 53 ln 2 / R ≈ 36.7 / R), and `u · R` used as a
/// selection target is never below the first non-zero weight's lower edge by rounding. The
/// value 1 has probability 2⁻⁵³ and gives a zero waiting time, which is harmless.
pub fn uniform_open01(rng: &mut Rng) -> f64 {
    // u64 >> 11 < 2^53, so the conversion to f64 is exact (cast_precision_loss cannot lose
    // anything here).
    #[allow(clippy::cast_precision_loss)]
    let k = (rng.next_u64() >> 11) as f64;
    (k + 1.0) * TWO_POW_MINUS_53
}

/// An index uniform in `0..n`, without modulo bias.
///
/// Lemire's multiply-and-reject [Lemire 2019]: the 128-bit product `x · n` of a 64-bit
/// draw `x` maps `x` to its high word; the low word identifies the `2⁶⁴ mod n` draws that
/// would make some indices more likely, and those are redrawn. The expected number of
/// draws is below `1 + n / 2⁶⁴`, i.e. one for any realistic `n`.
///
/// # Panics
/// If `n == 0` (there is no index to return; callers check emptiness first).
pub fn uniform_index(rng: &mut Rng, n: usize) -> usize {
    assert!(
        n > 0,
        "uniform_index: the range 0..n must not be empty (n > 0)"
    );
    let range = n as u64;
    let mut product = u128::from(rng.next_u64()) * u128::from(range);
    // truncation to the low word is the point of the algorithm.
    #[allow(clippy::cast_possible_truncation)]
    let mut low = product as u64;
    if low < range {
        // threshold = 2^64 mod n, computed without 128-bit division.
        let threshold = range.wrapping_neg() % range;
        while low < threshold {
            product = u128::from(rng.next_u64()) * u128::from(range);
            #[allow(clippy::cast_possible_truncation)]
            {
                low = product as u64;
            }
        }
    }
    // the high word is < n, which fits in usize because n does.
    #[allow(clippy::cast_possible_truncation)]
    let index = (product >> 64) as usize;
    index
}

/// An exponentially distributed waiting time [s] for a total rate `rate` [s⁻¹]:
/// `-ln(u) / rate` with `u` from [`uniform_open01`], so the result is finite and ≥ 0.
/// Consumes exactly one 64-bit draw.
///
/// # Panics
/// If `rate` is not finite and > 0 (a zero total rate has no waiting time; the engine
/// handles it before drawing).
pub fn exponential(rng: &mut Rng, rate: f64) -> f64 {
    assert!(
        rate.is_finite() && rate > 0.0,
        "exponential: the rate must be finite and > 0, got {rate}"
    );
    -uniform_open01(rng).ln() / rate
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    const SEEDS: [u64; 3] = [1, 42, 0xDEAD_BEEF];

    #[test]
    fn stream_same_seed_gives_same_sequence() {
        for seed in SEEDS {
            for replica in [0, 1, 5] {
                let mut a = stream(seed, replica);
                let mut b = stream(seed, replica);
                for _ in 0..100 {
                    assert_eq!(a.next_u64(), b.next_u64());
                }
            }
        }
    }

    #[test]
    fn stream_replicas_and_seeds_differ() {
        let first = |mut rng: Rng| -> Vec<u64> { (0..8).map(|_| rng.next_u64()).collect() };
        let replicas: Vec<Vec<u64>> = (0..4).map(|r| first(stream(7, r))).collect();
        for i in 0..replicas.len() {
            for j in (i + 1)..replicas.len() {
                assert_ne!(replicas[i], replicas[j], "replicas {i} and {j}");
            }
        }
        assert_ne!(first(stream(7, 0)), first(stream(8, 0)));
    }

    #[test]
    fn stream_replica_is_jumped_seed_stream() {
        let mut jumped = Rng::seed_from_u64(3);
        jumped.jump();
        jumped.jump();
        let mut replica = stream(3, 2);
        for _ in 0..10 {
            assert_eq!(jumped.next_u64(), replica.next_u64());
        }
    }

    #[test]
    fn stream_first_output_is_stable_across_versions() {
        // regression guard: a change here means every reference trajectory changes.
        let mut a = stream(0, 0);
        let mut b = Rng::seed_from_u64(0);
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn uniform_open01_stays_in_half_open_interval() {
        let mut rng = stream(SEEDS[0], 0);
        let mut sum = 0.0;
        let n = 100_000;
        for _ in 0..n {
            let u = uniform_open01(&mut rng);
            assert!(u > 0.0 && u <= 1.0, "{u}");
            assert!((-u.ln()).is_finite());
            sum += u;
        }
        // mean 1/2, SEM = sqrt(1/12 / n) ≈ 9.1e-4; 4 SEM.
        let mean = sum / f64::from(n);
        assert!(
            (mean - 0.5).abs() < 4.0 * (1.0 / 12.0 / f64::from(n)).sqrt(),
            "{mean}"
        );
    }

    /// The mapping of [`uniform_open01`] applied to a given 64-bit word.
    fn mapped(word: u64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let k = (word >> 11) as f64;
        (k + 1.0) * TWO_POW_MINUS_53
    }

    #[test]
    fn uniform_open01_edges_are_exact() {
        assert_eq!(mapped(0), TWO_POW_MINUS_53);
        assert_eq!(mapped(u64::MAX), 1.0);
        assert!(mapped(u64::MAX - (1 << 11)) < 1.0);
    }

    #[test]
    fn uniform_index_stays_in_range() {
        let mut rng = stream(SEEDS[1], 0);
        for n in [1usize, 2, 3, 7, 1000, usize::MAX] {
            for _ in 0..1000 {
                assert!(uniform_index(&mut rng, n) < n);
            }
        }
        assert_eq!(uniform_index(&mut rng, 1), 0);
    }

    /// χ² test of `uniform_index` with n = 10 bins and N = 100 000 draws, seeds [`SEEDS`].
    /// The threshold 44.81 is the χ²₉ quantile at 10⁻⁶, so an unbiased generator fails
    /// with probability 10⁻⁶ per seed (3 × 10⁻⁶ for the test; it is deterministic for the
    /// fixed seeds).
    #[test]
    fn uniform_index_chi_square_is_uniform() {
        const BINS: usize = 10;
        const DRAWS: u32 = 100_000;
        for seed in SEEDS {
            let mut rng = stream(seed, 0);
            let mut counts = [0u32; BINS];
            for _ in 0..DRAWS {
                counts[uniform_index(&mut rng, BINS)] += 1;
            }
            let expected = f64::from(DRAWS) / 10.0;
            let chi_square: f64 = counts
                .iter()
                .map(|&c| (f64::from(c) - expected).powi(2) / expected)
                .sum();
            assert!(chi_square < 44.81, "seed {seed}: χ² = {chi_square}");
        }
    }

    /// The rejection branch: for n = 3·2⁶² the threshold 2⁶⁴ mod n = 2⁶² rejects a quarter
    /// of the draws; the result must still be uniform over the three thirds of the range.
    /// N = 30 000, χ²₂ threshold 27.63 (quantile at 10⁻⁶).
    #[test]
    fn uniform_index_large_n_has_no_bias() {
        let n: u64 = 3 << 62;
        let Ok(n_usize) = usize::try_from(n) else {
            return; // 32-bit targets cannot express this n.
        };
        let mut rng = stream(SEEDS[2], 0);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            let index = uniform_index(&mut rng, n_usize) as u64;
            counts[usize::try_from(index / (1 << 62)).expect("index < n")] += 1;
        }
        let expected = 10_000.0;
        let chi_square: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        assert!(chi_square < 27.63, "χ² = {chi_square}, counts {counts:?}");
    }

    #[test]
    #[should_panic(expected = "must not be empty")]
    fn uniform_index_zero_panics() {
        let mut rng = stream(0, 0);
        let _ = uniform_index(&mut rng, 0);
    }

    /// Mean of `exponential` with rate 2: exact 0.5, SEM = 0.5/sqrt(N) with N = 100 000,
    /// asserted within 4 SEM (false failure ≈ 6 × 10⁻⁵ per seed).
    #[test]
    fn exponential_mean_matches_inverse_rate() {
        let n = 100_000;
        for seed in SEEDS {
            let mut rng = stream(seed, 0);
            let sum: f64 = (0..n).map(|_| exponential(&mut rng, 2.0)).sum();
            let mean = sum / f64::from(n);
            let sem = 0.5 / f64::from(n).sqrt();
            assert!((mean - 0.5).abs() < 4.0 * sem, "seed {seed}: mean {mean}");
        }
    }

    #[test]
    fn exponential_is_finite_and_non_negative() {
        let mut rng = stream(5, 0);
        for _ in 0..10_000 {
            let dt = exponential(&mut rng, 1e13);
            assert!(dt.is_finite() && dt >= 0.0);
        }
    }

    #[test]
    #[should_panic(expected = "finite and > 0")]
    fn exponential_zero_rate_panics() {
        let mut rng = stream(0, 0);
        let _ = exponential(&mut rng, 0.0);
    }

    #[test]
    fn rng_clone_continues_identically() {
        let mut rng = stream(11, 3);
        for _ in 0..17 {
            rng.next_u64();
        }
        let mut copy = rng.clone();
        for _ in 0..100 {
            assert_eq!(rng.next_u64(), copy.next_u64());
        }
    }

    /// The generator implements serde, so checkpoints can derive it. A TOML round trip is
    /// not tested: TOML integers are `i64` and the state words are `u64` (see the module
    /// documentation); the checkpoint format owns that test.
    #[test]
    fn rng_implements_serde() {
        fn assert_serde<T: serde::Serialize + serde::de::DeserializeOwned>() {}
        assert_serde::<Rng>();
    }
}
