use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "marketing_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub campaign_type: String,
    pub objective: String,
    pub status: String,
    pub performance: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub name: Option<String>,
    pub planned_reach: Option<i64>,
    pub budget: Option<Decimal>,
    pub channels: Json,
    pub start_at: Option<DateTimeUtc>,
    pub end_at: Option<DateTimeUtc>,
    pub timezone: String,
    pub audience: Option<Json>,
    pub send_window: Option<Json>,
    pub optimisation: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
