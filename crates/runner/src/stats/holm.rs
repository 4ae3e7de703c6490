//! Holm–Bonferroni over a family of claims (Holm 1979): the k-th smallest
//! of m p-values is multiplied by m − k + 1, made non-decreasing in that
//! order and capped at 1; a claim holds for the family at α when its
//! adjusted p is below α. Controls the family-wise error rate under any
//! dependence between the claims (ours share baselines and seeds).

/// The Holm-adjusted p-values, in the order of `p` (NaN stays NaN and
/// counts towards no family).
pub fn adjust(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holm's step-down procedure as he states it: reject the smallest p's
    /// while p_(k) ≤ α/(m − k + 1), stop at the first that is not.
    fn step_down(p: &[f64], alpha: f64) -> Vec<bool> {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
        let mut reject = vec![false; p.len()];
        for (k, &i) in order.iter().enumerate() {
            if p[i] > alpha / (p.len() - k) as f64 {
                break;
            }
            reject[i] = true;
        }
        reject
    }

    #[test]
    fn adjusted_p_below_alpha_is_the_step_down_rejection() {
        let families = [
            vec![0.012, 0.5, 0.959, 0.25, 0.885, 0.75, 0.188, 0.5],
            vec![0.001, 0.01, 0.02, 0.04],
            vec![0.03, 0.03, 0.2],
        ];
        for p in families {
            let adjusted = adjust(&p);
            for alpha in [0.01, 0.05, 0.1] {
                let by_adjusted: Vec<bool> = adjusted.iter().map(|a| *a <= alpha).collect();
                assert_eq!(by_adjusted, step_down(&p, alpha), "{p:?} at {alpha}");
            }
        }
        // The example: 0.012 among eight is 0.096 adjusted.
        assert!(
            (adjust(&[0.012, 0.5, 0.959, 0.25, 0.885, 0.75, 0.188, 0.5])[0] - 0.096).abs() < 1e-12
        );
    }
}
