-- The parts of each composite (annual appraisal, quarterly bulletin) weigh 1 in total
-- for every weight version (ref_assessment_weights), like the dimension weights of the
-- health index.
select
    composite,
    valid_from_year,
    valid_to_year,
    sum(weight) as weight_sum
from {{ ref('ref_assessment_weights') }}
group by composite, valid_from_year, valid_to_year
having abs(sum(weight) - 1.0) > 1e-9
