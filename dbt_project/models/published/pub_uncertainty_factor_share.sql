-- Published: each factor's first-order share of the rank variance of the uncertainty
-- analysis, per year and level (fct_uncertainty_factor_share).
with

factor_shares as (

    select * from {{ ref('fct_uncertainty_factor_share') }}

),

final as (

    select
        period_year,
        area_level,
        factor_code,
        first_order_share,
        first_order_share_unadjusted,
        rank_variance_mean,
        factor_states,
        simulations,
        areas

    from factor_shares

)

select * from final
