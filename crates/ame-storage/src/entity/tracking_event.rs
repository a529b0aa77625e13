use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tracking_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub campaign_id: Uuid,
    pub asset_id: Option<Uuid>,
    pub variant: Option<i32>,
    pub contact_id: Option<Uuid>,
    pub kind: String,
    pub channel: String,
    pub value: Option<Decimal>,
    pub occurred_at: DateTimeUtc,
    pub dedupe_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
