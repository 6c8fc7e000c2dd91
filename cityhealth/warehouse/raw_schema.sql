-- The raw layer: what ingestion writes, exactly as delivered plus load metadata.
-- dbt reads these as sources (dbt_project/models/staging/sources.yml).
-- Every row carries the batch it came from; a batch is one delivered file or one
-- feed response set for one source and period.

create schema if not exists raw;
create schema if not exists quality;

-- One row per delivery attempt. status:
--   received    archived, its load begun and not ended; found so by a later run,
--               the load was interrupted (killed before its commit): loaded again
--   loaded      parsed into raw tables, waiting for validation
--   promoted    passed validation: visible to dbt staging
--   quarantined failed parsing or validation (error says where)
--   duplicate   same bytes as an earlier loaded or quarantined batch of the same
--               source (no-op)
--   superseded  a later corrected delivery for the same source and period replaced it
create table if not exists raw.load_batches (
    batch_id            varchar primary key,   -- <source_id>:<period>:<sha256[:12]>
    source_id           varchar not null,      -- key of ingestion/sources.yaml
    period              varchar not null,      -- '2025', '2025-Q3' or '2025-07'
    original_name       varchar not null,      -- file name or request URL as delivered
    archive_path        varchar,               -- the kept copy (archive/<sha256>.<ext>)
    sha256              varchar not null,
    bytes               bigint not null,
    rows                bigint,                -- data rows parsed (null until parsed)
    received_at         timestamp not null,
    loaded_at           timestamp,
    status              varchar not null,
    error               varchar,               -- source, file, row, column and what is wrong
    supersedes_batch_id varchar,               -- the earlier batch this delivery corrects
    delivered_by        varchar                -- department or feed that delivered it
);

-- Departmental self-check data, one row per delivered cell (area x variable),
-- melted from the wide sheets departments send; the original header is kept.
create table if not exists raw.department_values (
    batch_id        varchar not null,
    source_id       varchar not null,
    department_code varchar not null,
    row_number      integer not null,   -- 1-based data row in the delivered sheet
    area_code       varchar not null,   -- GB/T 2260, six digits
    area_name       varchar,            -- as delivered (names are labels, never keys)
    period_year     integer not null,
    column_label    varchar not null,   -- header as delivered, e.g. 公园绿地面积(公顷)
    variable_code   varchar not null,   -- catalogue variable the header maps to
    value           double,             -- normalised to the variable's catalogue unit
    delivered_unit  varchar             -- unit stated in the header
);

-- Provincial third-party assessment: independent measurements of sampled indicators.
create table if not exists raw.third_party_values (
    batch_id       varchar not null,
    source_id      varchar not null,
    row_number     integer not null,
    area_code      varchar not null,
    period_year    integer not null,
    indicator_code varchar not null,
    value          double,
    assessor       varchar,
    measured_on    date
);

-- Resident satisfaction survey, one row per respondent. Personal data never lands:
-- name, phone, ID number and IP are replaced by one keyed hash at ingestion.
-- Answers are kept in questionnaire order (ref_survey_questions.csv gives the
-- question behind each position) so that a 10-million-row export stays one
-- row per respondent; stg_survey__answers unnests them.
create table if not exists raw.survey_responses (
    batch_id         varchar not null,
    source_id        varchar not null,
    row_number       bigint not null,   -- 1-based data row in the delivered export
    response_id      varchar not null,  -- the survey platform's answer sheet number
    respondent_key   varchar not null,  -- keyed hash (HMAC-SHA256) of name|phone|ID number
    area_code        varchar not null,  -- respondent's county (GB/T 2260)
    period_year      integer not null,
    submitted_at     timestamp,
    duration_seconds integer,
    questionnaire_id varchar not null,  -- e.g. JX-2025
    answers          utinyint[] not null  -- 5 非常满意 .. 1 非常不满意; null = 不了解
);

-- Monthly and quarterly monitoring values pulled from departments' HTTP feeds, one row
-- per delivered item; period is '2025-07' or '2025-Q3'.
create table if not exists raw.monitoring_values (
    batch_id        varchar not null,
    source_id       varchar not null,
    department_code varchar not null,
    page            integer not null,   -- page of the feed response
    item            integer not null,   -- 1-based item within the page
    area_code       varchar not null,
    period          varchar not null,
    period_year     integer not null,
    variable_label  varchar not null,   -- variable name as the feed gives it
    variable_code   varchar not null,
    value           double,             -- normalised to the variable's catalogue unit
    delivered_unit  varchar
);

-- Monthly dispatch: progress of the plan's tasks (ref_plan_tasks) per city, as the
-- task register reports it.
create table if not exists raw.task_progress (
    batch_id       varchar not null,
    source_id      varchar not null,
    row_number     integer not null,
    task_code      varchar not null,
    city_code      varchar not null,
    period         varchar not null,  -- report month, '2025-07'
    annual_target  varchar,
    progress_pct   double,
    status         varchar,           -- not_started | in_progress | done | delayed
    note           varchar
);

-- The urban-renewal project library with its monthly progress, one row per project
-- and report month.
create table if not exists raw.project_progress (
    batch_id           varchar not null,
    source_id          varchar not null,
    row_number         integer not null,
    project_id         varchar not null,
    project_name       varchar not null,
    area_code          varchar not null,
    project_type_code  varchar not null,
    indicator_codes    varchar[],        -- problems treated (catalogue indicator codes)
    department         varchar,
    planned_investment double,           -- 万元
    planned_start      date,
    planned_end        date,
    period             varchar not null, -- report month, '2025-07'
    invested_to_date   double,           -- 万元
    progress_pct       double,
    status             varchar           -- planned | under_construction | completed
);

-- The four-level check (2024 on): objects recorded by the field teams (体检信息采集表),
-- one row per object and check year; an object keeps its id across years.
create table if not exists raw.check_objects (
    batch_id         varchar not null,
    source_id        varchar not null,
    row_number       integer not null,  -- 1-based data row (GeoJSON: feature number)
    period_year      integer not null,
    object_id        varchar not null,  -- stable across years, e.g. 360102-ZF-000123
    object_kind      varchar not null,  -- housing | compound | block | district
    object_name      varchar,
    county_code      varchar not null,  -- GB/T 2260 county-level unit holding the object
    street_name      varchar,           -- 街道/乡镇 as delivered (a label)
    parent_object_id varchar,           -- housing→compound→block→district; null for a district
    longitude        double,            -- same coordinate system as the shipped boundaries
    latitude         double,
    year_built       integer,
    floors           integer,
    dwellings        integer,           -- 套
    households       integer,           -- 户
    area_m2          double,            -- floor area (housing) or land area (the others)
    photo_files      varchar[]          -- photos referenced by file name
);

-- What the field teams found on an object in a check year, one row per object and
-- indicator (ref_object_indicators); an object without a row for an indicator has no
-- such problem that year.
create table if not exists raw.object_findings (
    batch_id       varchar not null,
    source_id      varchar not null,
    row_number     integer not null,
    period_year    integer not null,
    object_id      varchar not null,
    indicator_code varchar not null,
    value          double,            -- flag: 1; gap: the shortfall; measure: the figure
    finding_zh     varchar,           -- what the team wrote
    photo_files    varchar[]
);

-- 整治台账: treatment of each problem found on an object, by report month.
create table if not exists raw.object_treatment (
    batch_id       varchar not null,
    source_id      varchar not null,
    row_number     integer not null,
    period         varchar not null,  -- report month, '2025-07'
    object_id      varchar not null,
    indicator_code varchar not null,
    project_id     varchar,           -- the urban-renewal project treating it (raw.project_progress)
    status         varchar not null,  -- listed | in_progress | rectified
    rectified_on   date
);
