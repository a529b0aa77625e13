use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_channel_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub org_id: Uuid,
    pub org_group: Uuid,
    pub campaign_group: Uuid,
    pub campaign_type: String,
    pub records: i32,
    pub reach: Option<i64>,
    pub clicks: Option<i64>,
    pub leads: Option<i64>,
    pub conversions: Option<i64>,
    pub spend: Option<Decimal>,
    pub revenue: Option<Decimal>,
    pub revision: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
