-- The confidence level of the satisfaction intervals (ref_assessment_parameters,
-- survey_confidence_level) has its critical values in ref_t_quantiles: df 1 … 200 and
-- the normal quantile. Returns the level when any is missing.
select
    parameters.value as confidence_level,
    count(t_quantiles.critical_value) as critical_values
from {{ ref('stg_reference__assessment_parameters') }} as parameters
left join {{ ref('stg_reference__t_quantiles') }} as t_quantiles
    on t_quantiles.confidence_level = parameters.value
where parameters.parameter_code = 'survey_confidence_level'
group by parameters.value
having count(t_quantiles.critical_value) < 201
    or count(t_quantiles.critical_value) filter (where t_quantiles.degrees_of_freedom is null) <> 1
