use nanokmc::accel::basin::*;
fn main() {
    for sep in [1e2, 1e4, 1e8, 1e12, 1e14, 1e16] {
        let fast_rate = 1e12;
        let exit = fast_rate / sep;
        // 5-state line with energies
        let e = [0.0, 0.7, 0.2, 1.1, 0.4];
        let mut fast = vec![];
        for i in 0..4 {
            let b = 1.5f64;
            fast.push((i, i + 1, fast_rate * (-(b - e[i])).exp()));
            fast.push((i + 1, i, fast_rate * (-(b - e[i + 1])).exp()));
        }
        let exits = [0.0, 0.0, exit, 0.0, 2.0 * exit];
        for refine in [true, false] {
            let o = BasinOptions {
                refine_slow_modes: refine,
                ..Default::default()
            };
            let b = BasinSolution::with_options(5, &fast, &exits, &o).unwrap();
            println!(
                "sep {sep:e} refine {refine}: {} disc {:?} gap {:?} tau0 {} slow {} 1/tau {}",
                b.method(),
                b.spectral_discrepancy(),
                b.mode_separation(),
                b.mean_escape_time(0),
                b.slowest_rate(),
                1.0 / b.mean_escape_time(0)
            );
        }
    }
}
