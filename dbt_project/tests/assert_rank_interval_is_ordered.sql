-- The rank interval of the uncertainty analysis is ordered: best ≤ p05 ≤ median ≤ p95
-- ≤ worst, and the published rank lies within [best, worst] (the published construction
-- is one of the simulated ones up to the weights).
select *
from {{ ref('fct_health_index_uncertainty') }}
where not (
    rank_best <= rank_p05
    and rank_p05 <= rank_median
    and rank_median <= rank_p95
    and rank_p95 <= rank_worst
)
