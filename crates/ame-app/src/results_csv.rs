//! The results CSV format read by `ame results import` and `ame backtest`
//! (columns in `docs/prediction.md`).

use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{
    CampaignFilter, CampaignId, CampaignStatus, CampaignType, Channel, ChannelOutcome, Cursor,
    NewCampaign, OrgId, PageRequest, ResultRecordInput, ResultTotals, ValidationError,
    validate_result_records,
};
use ame_prediction::backtest::{BacktestReport, HoldOut, leave_one_out};
use ame_storage::StorageError;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use uuid::Uuid;

/// Columns the format knows.
pub const COLUMNS: [&str; 13] = [
    "campaign",
    "campaign_type",
    "channel",
    "date",
    "planned_reach",
    "budget",
    "reach",
    "clicks",
    "leads",
    "conversions",
    "spend",
    "revenue",
    "org",
];

/// A problem in a results file, with the line it is on.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read as CSV.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The header lacks a required column or has an unknown one.
    #[error("header: {0}")]
    Header(String),
}

/// One campaign's rows of a results file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvCampaign {
    /// The `campaign` value.
    pub name: String,
    /// Its type.
    pub campaign_type: CampaignType,
    /// The `org` value, when the file has one.
    pub org: Option<String>,
    /// Planned reach (the largest given on its rows).
    pub planned_reach: Option<i64>,
    /// Budget (the largest given on its rows).
    pub budget: Option<Decimal>,
    /// Its records, in file order.
    pub records: Vec<ResultRecordInput>,
}

impl CsvCampaign {
    /// Distinct channels, in order of appearance.
    pub fn channels(&self) -> Vec<Channel> {
        let mut channels = Vec::new();
        for r in &self.records {
            if !channels.contains(&r.channel) {
                channels.push(r.channel);
            }
        }
        channels
    }

    /// The campaign's totals per channel as predictor outcomes.
    pub fn outcomes(&self) -> Vec<ChannelOutcome> {
        let org = group_key("org", self.org.as_deref().unwrap_or(""));
        let campaign = group_key("campaign", &self.name);
        self.channels()
            .into_iter()
            .map(|channel| {
                let mut totals = ResultTotals::default();
                for r in self.records.iter().filter(|r| r.channel == channel) {
                    totals.records += 1;
                    totals.metrics.accumulate(&r.metrics());
                }
                ChannelOutcome {
                    org_group: org,
                    campaign_group: campaign,
                    own_org: false,
                    campaign_type: self.campaign_type,
                    channel,
                    records: u32::try_from(totals.records).unwrap_or(u32::MAX),
                    metrics: totals.metrics,
                }
            })
            .collect()
    }
}

fn group_key(kind: &str, value: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(kind.as_bytes())
        .chain_update([0])
        .chain_update(value.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Reads a results file: every row checked (types, numbers, the same campaign type on every row
/// of a campaign), then every campaign's records validated like an API upload.
pub fn read(input: impl Read) -> Result<Vec<CsvCampaign>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Header(e.to_string()))?
        .clone();
    for h in &headers {
        if !COLUMNS.contains(&h) {
            return Err(CsvError::Header(format!(
                "unknown column `{h}`; the columns are {}",
                COLUMNS.join(", ")
            )));
        }
    }
    for required in &COLUMNS[..4] {
        if !headers.iter().any(|h| h == *required) {
            return Err(CsvError::Header(format!(
                "column `{required}` is required (required: campaign, campaign_type, channel, date)"
            )));
        }
    }
    let index: BTreeMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let mut campaigns: Vec<CsvCampaign> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| CsvError::Malformed {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let bad = |message: String| CsvError::Malformed { line, message };
        let cell = |name: &str| -> Option<&str> {
            index
                .get(name)
                .and_then(|i| row.get(*i))
                .filter(|v| !v.is_empty())
        };
        let count = |name: &str| -> Result<Option<i64>, CsvError> {
            cell(name)
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        bad(format!(
                            "`{name}` must be a whole number or empty; got `{v}`"
                        ))
                    })
                })
                .transpose()
        };
        let money = |name: &str| -> Result<Option<Decimal>, CsvError> {
            cell(name)
                .map(|v| {
                    v.parse::<Decimal>()
                        .map(|d| d.round_dp(2))
                        .map_err(|_| bad(format!("`{name}` must be an amount or empty; got `{v}`")))
                })
                .transpose()
        };
        let name = cell("campaign")
            .ok_or_else(|| bad("`campaign` is empty".to_owned()))?
            .to_owned();
        let campaign_type: CampaignType = cell("campaign_type")
            .unwrap_or("")
            .parse()
            .map_err(|e: ame_domain::ParseEnumError| bad(e.to_string()))?;
        let channel: Channel = cell("channel")
            .unwrap_or("")
            .parse()
            .map_err(|e: ame_domain::ParseEnumError| bad(e.to_string()))?;
        let date = cell("date").unwrap_or("").parse().map_err(|_| {
            bad(format!(
                "`date` must be YYYY-MM-DD; got `{}`",
                cell("date").unwrap_or("")
            ))
        })?;
        let record = ResultRecordInput {
            date,
            channel,
            asset_id: None,
            reach: count("reach")?,
            clicks: count("clicks")?,
            leads: count("leads")?,
            conversions: count("conversions")?,
            spend: money("spend")?,
            revenue: money("revenue")?,
        };
        let planned_reach = count("planned_reach")?;
        let budget = money("budget")?;
        let org = cell("org").map(str::to_owned);
        let campaign = match campaigns
            .iter_mut()
            .find(|c| c.name == name && c.org == org)
        {
            Some(c) => c,
            None => {
                campaigns.push(CsvCampaign {
                    name: name.clone(),
                    campaign_type,
                    org,
                    planned_reach: None,
                    budget: None,
                    records: Vec::new(),
                });
                campaigns
                    .last_mut()
                    .ok_or_else(|| bad("no campaign".to_owned()))?
            }
        };
        if campaign.campaign_type != campaign_type {
            return Err(bad(format!(
                "campaign `{name}` is `{}` on an earlier row and `{campaign_type}` here",
                campaign.campaign_type
            )));
        }
        campaign.planned_reach = campaign.planned_reach.max(planned_reach);
        campaign.budget = campaign.budget.max(budget);
        campaign.records.push(record);
    }
    for c in &campaigns {
        for chunk in c.records.chunks(ame_domain::MAX_RECORDS_PER_REQUEST) {
            validate_result_records(chunk).map_err(|e| CsvError::Malformed {
                line: 0,
                message: format!("campaign `{}`: {e}", c.name),
            })?;
        }
    }
    Ok(campaigns)
}

/// What an import did with one campaign of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The campaign's name.
    pub name: String,
    /// Its id.
    pub id: CampaignId,
    /// Whether it was created (`false`: an earlier import's campaign was reused).
    pub created: bool,
    /// Records written.
    pub records: usize,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file's campaign could not be stored as a campaign.
    #[error("campaign `{name}`: {source}")]
    Campaign {
        /// The campaign's name.
        name: String,
        /// What was refused.
        source: ValidationError,
    },
    /// Storage refused or failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An import that stopped part-way: the campaigns imported before it stopped (kept, and
/// reused by the next run of the same import), how many the file holds, and why it stopped.
#[derive(Debug, thiserror::Error)]
#[error(
    "stopped at campaign {} of {total} after importing {}: {error}; the campaigns already \
     imported are kept, and running the same import again reuses them and imports the rest",
    .done.len() + 1,
    .done.len()
)]
pub struct ImportStopped {
    /// The campaigns imported before it stopped.
    pub done: Vec<Imported>,
    /// The campaigns in the file.
    pub total: usize,
    /// Why it stopped (in the message already, so not also its source).
    pub error: ImportError,
}

/// Runs a leave-one-out backtest of the predictor over a results file's campaigns (off the
/// async runtime: it refits the model once per campaign); with [`HoldOut::Group`] each is
/// predicted from the other organizations' campaigns only (the file's `org` column).
pub async fn backtest(
    campaigns: &[CsvCampaign],
    held: HoldOut,
    draws: usize,
    seed: u64,
) -> AppResult<BacktestReport> {
    let outcomes: Vec<_> = campaigns.iter().map(CsvCampaign::outcomes).collect();
    let groups: Option<Vec<u128>> = (held == HoldOut::Group).then(|| {
        outcomes
            .iter()
            .map(|o| o.first().map_or(0, |first| first.org_group.as_u128()))
            .collect()
    });
    if let Some(labels) = &groups {
        let distinct: std::collections::BTreeSet<_> = labels.iter().collect();
        if distinct.len() < 2 {
            return Err(crate::AppError::Validation(vec![
                ame_domain::FieldError::new(
                    "org",
                    "holding out a group needs campaigns of at least two organizations in the \
                 `org` column; with one, every campaign would be predicted from no history",
                ),
            ]));
        }
    }
    Ok(tokio::task::spawn_blocking(move || {
        leave_one_out(&outcomes, groups.as_deref(), draws, seed)
    })
    .await?)
}

impl Engine {
    /// Imports `campaigns` into `org`: one `completed` campaign per file campaign (an earlier
    /// import's campaign with the same name and type is reused, so importing a file twice
    /// changes nothing), then its records, upserted like an API upload. Each campaign is
    /// written on its own: an import that stops part-way says how far it got, and running it
    /// again finishes it without duplicating what it had done.
    pub async fn import_results(
        &self,
        org: OrgId,
        campaigns: &[CsvCampaign],
    ) -> Result<Vec<Imported>, ImportStopped> {
        let repos = self.service_repos();
        let mut done = Vec::with_capacity(campaigns.len());
        match import(&repos, org, campaigns, &mut done).await {
            Ok(()) => Ok(done),
            Err(error) => Err(ImportStopped {
                done,
                total: campaigns.len(),
                error,
            }),
        }
    }
}

async fn import(
    repos: &crate::repos::Repositories,
    org: OrgId,
    campaigns: &[CsvCampaign],
    done: &mut Vec<Imported>,
) -> Result<(), ImportError> {
    let mut existing = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest::new(100, after).map_err(|e| StorageError::Invalid(e.message))?;
        let listed = repos
            .campaigns
            .list(org, CampaignFilter::default(), page)
            .await?;
        after = listed.items.last().map(|c| Cursor {
            created_at: c.created_at,
            id: c.id.as_uuid(),
        });
        let last_page = listed.next_cursor.is_none();
        existing.extend(listed.items);
        if last_page {
            break;
        }
    }
    for c in campaigns {
        let name: String = c.name.chars().take(200).collect();
        let found = existing.iter().find(|e| {
            e.plan.name.as_deref() == Some(name.as_str()) && e.campaign_type == c.campaign_type
        });
        let (id, created) = match found {
            Some(e) => {
                // A run stopped between creating a campaign and completing it: finish that.
                let remaining: &[CampaignStatus] = match e.status {
                    CampaignStatus::Draft => &[CampaignStatus::Active, CampaignStatus::Completed],
                    CampaignStatus::Active => &[CampaignStatus::Completed],
                    _ => &[],
                };
                complete(repos, org, e.id, remaining).await?;
                (e.id, false)
            }
            None => {
                let first = c.records.iter().map(|r| r.date).min();
                let last = c.records.iter().map(|r| r.date).max();
                let at = |d: Option<chrono::NaiveDate>, days: i64| {
                    d.and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc() + chrono::TimeDelta::days(days))
                };
                let new = NewCampaign {
                    campaign_type: c.campaign_type,
                    objective: format!("Imported results of {name}"),
                    name: Some(name.clone()),
                    planned_reach: c.planned_reach,
                    budget: c.budget,
                    channels: c.channels(),
                    start_at: at(first, 0),
                    end_at: at(last, 1),
                    timezone: None,
                    audience: None,
                    send_window: None,
                    holdout_fraction: None,
                    targeting: None,
                };
                let valid = new.validate().map_err(|source| ImportError::Campaign {
                    name: name.clone(),
                    source,
                })?;
                let campaign = repos.campaigns.create(org, valid).await?;
                complete(
                    repos,
                    org,
                    campaign.id,
                    &[CampaignStatus::Active, CampaignStatus::Completed],
                )
                .await?;
                (campaign.id, true)
            }
        };
        for chunk in c.records.chunks(ame_domain::MAX_RECORDS_PER_REQUEST) {
            repos.results.record(org, id, chunk.to_vec()).await?;
        }
        done.push(Imported {
            name,
            id,
            created,
            records: c.records.len(),
        });
    }
    Ok(())
}

/// Moves an imported campaign through `steps` to `completed`. A running server's scheduler
/// completes an active campaign whose end date has passed, so a step the campaign has already
/// reached is done, not a failure.
async fn complete(
    repos: &crate::repos::Repositories,
    org: OrgId,
    id: CampaignId,
    steps: &[CampaignStatus],
) -> Result<(), ImportError> {
    for status in steps {
        if let Err(error) = repos.campaigns.change_status(org, id, *status, None).await {
            let now = repos.campaigns.get(org, id).await?.status;
            let reached = now == *status || now == CampaignStatus::Completed;
            if !reached {
                return Err(error.into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "campaign,campaign_type,channel,date,planned_reach,reach,clicks,leads,spend\n\
        spring,lead_gen,facebook,2026-03-01,50000,1000,20,,12.50\n\
        spring,lead_gen,facebook,2026-03-02,,1500,0,3,20\n\
        spring,lead_gen,email,2026-03-02,,800,16,2,\n\
        autumn,referral,email,2026-09-01,,400,,,\n";

    #[test]
    fn campaigns_group_their_rows_and_keep_empty_cells_unmeasured() {
        let campaigns = read(FILE.as_bytes()).unwrap();
        assert_eq!(campaigns.len(), 2);
        let spring = &campaigns[0];
        assert_eq!(spring.planned_reach, Some(50_000));
        assert_eq!(spring.channels(), [Channel::Facebook, Channel::Email]);
        assert_eq!(spring.records[0].leads, None);
        assert_eq!(spring.records[1].clicks, Some(0));
        let outcomes = spring.outcomes();
        let m = &outcomes[0].metrics;
        assert_eq!(
            [m.reach, m.clicks, m.leads, m.conversions],
            [Some(2500), Some(20), Some(3), None]
        );
        assert_eq!(m.spend, Some(Decimal::new(3250, 2)));
        assert_eq!(outcomes[0].org_group, outcomes[1].org_group);
        assert_ne!(
            outcomes[0].campaign_group,
            campaigns[1].outcomes()[0].campaign_group
        );
        assert_eq!(campaigns[1].campaign_type, CampaignType::Referral);
    }

    #[tokio::test]
    async fn an_import_that_stops_says_how_far_it_got_and_how_to_finish() {
        let org = OrgId::new();
        let file = "campaign,campaign_type,channel,date,reach,clicks\n\
            one,lead_gen,email,2026-03-01,1000,10\n\
            two,lead_gen,email,2026-03-01,1000,12\n\
            three,lead_gen,email,2026-03-01,1000,14\n";
        let campaigns = read(file.as_bytes()).unwrap();
        let mut mocks = crate::fakes::Mocks::default();
        mocks.campaigns.expect_list().returning(|_, _, _| {
            Ok(ame_domain::Page {
                items: Vec::new(),
                next_cursor: None,
            })
        });
        let created = std::sync::atomic::AtomicUsize::new(0);
        mocks
            .campaigns
            .expect_create()
            .returning(move |org, valid| {
                if created.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    return Err(StorageError::Database("the disk is full".into()));
                }
                let mut c = crate::fakes::campaign(valid.campaign_type(), org);
                c.id = CampaignId::new();
                Ok(c)
            });
        mocks
            .campaigns
            .expect_change_status()
            .returning(|org, _, _, _| Ok(crate::fakes::campaign(CampaignType::LeadGen, org)));
        mocks
            .results
            .expect_record()
            .returning(|_, _, _| Ok(Default::default()));
        let stopped = mocks
            .engine()
            .import_results(org, &campaigns)
            .await
            .unwrap_err();
        assert_eq!(stopped.done.len(), 1);
        assert_eq!(stopped.done[0].name, "one");
        assert_eq!(stopped.total, 3);
        let said = stopped.to_string();
        assert!(
            said.contains("stopped at campaign 2 of 3 after importing 1")
                && said.contains("the disk is full")
                && said.contains("running the same import again"),
            "{said}"
        );
    }

    #[tokio::test]
    async fn running_it_again_completes_a_campaign_a_stopped_run_left_active() {
        let org = OrgId::new();
        let campaigns = read(
            "campaign,campaign_type,channel,date,reach
one,lead_gen,email,2026-03-01,1000
"
            .as_bytes(),
        )
        .unwrap();
        let mut left = crate::fakes::campaign(CampaignType::LeadGen, org);
        left.plan.name = Some("one".into());
        left.status = CampaignStatus::Active;
        let left_id = left.id;
        let mut mocks = crate::fakes::Mocks::default();
        mocks.campaigns.expect_list().returning(move |_, _, _| {
            Ok(ame_domain::Page {
                items: vec![left.clone()],
                next_cursor: None,
            })
        });
        mocks
            .campaigns
            .expect_change_status()
            .withf(move |_, id, status, _| *id == left_id && *status == CampaignStatus::Completed)
            .times(1)
            .returning(|org, _, _, _| Ok(crate::fakes::campaign(CampaignType::LeadGen, org)));
        mocks
            .results
            .expect_record()
            .times(1)
            .returning(|_, _, _| Ok(Default::default()));
        let imported = mocks
            .engine()
            .import_results(org, &campaigns)
            .await
            .unwrap();
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0].id, left_id);
        assert!(!imported[0].created);
    }

    #[tokio::test]
    async fn a_campaign_the_servers_scheduler_completed_first_is_imported_all_the_same() {
        let org = OrgId::new();
        let campaigns = read(
            "campaign,campaign_type,channel,date,reach
one,lead_gen,email,2026-03-01,1000
"
            .as_bytes(),
        )
        .unwrap();
        let mut left = crate::fakes::campaign(CampaignType::LeadGen, org);
        left.plan.name = Some("one".into());
        left.status = CampaignStatus::Active;
        let left_id = left.id;
        let mut completed = left.clone();
        completed.status = CampaignStatus::Completed;
        let mut mocks = crate::fakes::Mocks::default();
        mocks.campaigns.expect_list().returning(move |_, _, _| {
            Ok(ame_domain::Page {
                items: vec![left.clone()],
                next_cursor: None,
            })
        });
        // The scheduler completed it between the list and the change.
        mocks
            .campaigns
            .expect_change_status()
            .times(1)
            .returning(|_, _, _, _| {
                Err(StorageError::Conflict(
                    "a completed campaign cannot become completed".into(),
                ))
            });
        mocks
            .campaigns
            .expect_get()
            .times(1)
            .returning(move |_, _| Ok(completed.clone()));
        mocks
            .results
            .expect_record()
            .times(1)
            .returning(|_, _, _| Ok(Default::default()));
        let imported = mocks
            .engine()
            .import_results(org, &campaigns)
            .await
            .unwrap();
        assert_eq!(imported[0].id, left_id);
    }

    #[tokio::test]
    async fn a_group_backtest_needs_two_organizations() {
        let one_org = read(FILE.as_bytes()).unwrap();
        let refused = backtest(&one_org, HoldOut::Group, 100, 1)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, crate::AppError::Validation(e) if e[0].field == "org"),
            "{refused:?}"
        );
        assert!(backtest(&one_org, HoldOut::Campaign, 100, 1).await.is_ok());
    }

    #[test]
    fn bad_files_name_the_line_and_the_problem() {
        let unknown = read("campaign,campaign_type,channel,date,impressions\n".as_bytes());
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown column `impressions`")
        );
        let missing = read("campaign,channel,date\n".as_bytes());
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("`campaign_type` is required")
        );
        let text = "campaign,campaign_type,channel,date,clicks\na,lead_gen,email,2026-01-01,1\na,lead_gen,fax,2026-01-02,2\n";
        let err = read(text.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("line 3:") && err.contains("fax"), "{err}");
        let text = "campaign,campaign_type,channel,date,clicks\na,lead_gen,email,2026-01-01,-4\n";
        let err = read(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("clicks"), "{err}");
        let text = "campaign,campaign_type,channel,date\na,lead_gen,email,2026-01-01\na,upsell,email,2026-01-02\n";
        assert!(
            read(text.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("`upsell` here")
        );
    }
}
