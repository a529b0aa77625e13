use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub campaign_id: Uuid,
    pub date: Date,
    pub channel: String,
    pub asset_id: Option<Uuid>,
    pub reach: Option<i64>,
    pub clicks: Option<i64>,
    pub leads: Option<i64>,
    pub conversions: Option<i64>,
    pub spend: Option<Decimal>,
    pub revenue: Option<Decimal>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
