-- Every 95 % confidence interval of fct_satisfaction contains its score and is not
-- wider than the scale; an interval is present for every county with more than one
-- respondent.
select *
from {{ ref('fct_satisfaction') }}
where (ci_low is not null and not (ci_low <= satisfaction_score and satisfaction_score <= ci_high))
    or (ci_high - ci_low) > 100
    or (area_level = 'county' and respondents > 1 and ci_low is null)
