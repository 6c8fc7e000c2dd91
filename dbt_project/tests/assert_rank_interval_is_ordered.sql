-- The intervals of the uncertainty analysis are ordered: best ≤ p05 ≤ median ≤ p95 ≤
-- worst for the rank, p05 ≤ median ≤ p95 for the index; a city's published rank lies
-- within [best, worst]; and no published index lies below its interval (the
-- simulations can lower an attained score – a stricter standard, an error, the
-- geometric mean – more than raise it, so the published index sits inside the
-- interval or above it, never under it: index_method, section 5).
select *
from {{ ref('fct_health_index_uncertainty') }}
where not (
    rank_best <= rank_p05
    and rank_p05 <= rank_median
    and rank_median <= rank_p95
    and rank_p95 <= rank_worst
    and index_p05 <= index_median
    and index_median <= index_p95
)
    or rank_in_province not between rank_best and rank_worst
    or health_index < index_p05
