-- Every confidence interval of fct_satisfaction is the score ± critical_value ·
-- standard_error (so it contains the score); an interval is present for every county
-- with more than one respondent. (Not bounded by the 0–100 scale: with few respondents
-- t · se can reach beyond it, and the interval is published as computed.)
select *
from {{ ref('fct_satisfaction') }}
where (ci_low is not null and not (ci_low <= satisfaction_score and satisfaction_score <= ci_high))
    or abs((ci_high - satisfaction_score) - critical_value * standard_error) > 1e-9
    or abs((satisfaction_score - ci_low) - critical_value * standard_error) > 1e-9
    or (area_level = 'county' and respondents > 1 and ci_low is null)
