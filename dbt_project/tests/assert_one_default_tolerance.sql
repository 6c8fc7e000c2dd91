-- ref_assessment_tolerances has exactly one default row (empty indicator_code), which
-- applies to every indicator without its own row.
select count(*) as default_rows
from {{ ref('ref_assessment_tolerances') }}
where indicator_code is null or trim(indicator_code) = ''
having count(*) <> 1
