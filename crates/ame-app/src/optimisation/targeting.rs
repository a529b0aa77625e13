//! Predictive audience targeting: training the organization's response (and uplift) model from
//! its outcomes, describing it, scoring a campaign's audience, and choosing whom a targeted
//! campaign sends to.
//!
//! A training row is one outcome record: the contact's attributes plus its engagement in the
//! organization's *other* campaigns (so a row never sees its own answer), treated when a message
//! reached it, control when held out.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    Campaign, CampaignId, Contact, ContactId, Goal, Group, OrgId, Outcome, ScoredContact,
    TargetingMode, draw_group, holdout_seed,
};
use ame_prediction::targeting::{
    AttributeValue, CapturedValue, ContactInputs, Engagement, ReliabilityBin, TargetingModel,
    TrainError, TrainOptions, TrainingRow, train,
};
use ame_storage::StoredModel;
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::HashMap;

/// How long after outcomes change the models are retrained (changes in between are batched).
pub const TARGETING_RETRAIN_DELAY: TimeDelta = TimeDelta::seconds(60);

/// One model column and its coefficient.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureWeight {
    /// Column name (`propresp`, `region=north`, `never_clicked`).
    pub name: String,
    /// Coefficient per standard deviation of the column.
    pub coefficient: f64,
    /// Training mean of the raw column.
    pub mean: f64,
    /// Training standard deviation of the raw column.
    pub sd: f64,
}

/// Quality on the held-out share of the outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldOutQuality {
    /// Held-out treated outcomes.
    pub rows: usize,
    /// Area under the ROC curve.
    pub auc: Option<f64>,
    /// Response rate of the top tenth by score over the overall rate.
    pub top_decile_lift: Option<f64>,
    /// Expected calibration error over ten equal-count bins.
    pub calibration_error: f64,
    /// Predicted against observed rate per bin.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub reliability: Vec<ReliabilityBin>,
    /// Qini coefficient of the uplift ranking (when control outcomes allow uplift).
    pub qini: Option<f64>,
    /// Its 95% bootstrap interval: uplift targeting is allowed only when it lies above 0.
    pub qini_interval: Option<[f64; 2]>,
    /// Share of the held-out value the top 10%, 20%, 30% and 50% of the ranking captured, by
    /// expected value and by probability alone (when a value model was fitted).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub captured_value: Option<Vec<CapturedValue>>,
}

/// A trained model as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSummary {
    /// What it predicts.
    pub goal: Goal,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// Treated outcomes trained on.
    pub rows: usize,
    /// Responders among them.
    pub responders: usize,
    /// Control outcomes (uplift is modelled when there are enough).
    pub control_rows: usize,
    /// Whether uplift is modelled (control outcomes allowed a second model).
    pub uplift_modelled: bool,
    /// Whether the uplift ranking is qualified: modelled, and better than random with 95%
    /// confidence on held-out outcomes (the Qini interval above 0). Only then may a campaign
    /// use `uplift_positive` targeting.
    pub uplift: bool,
    /// Intercept of the response model.
    pub intercept: f64,
    /// Columns and coefficients of the response model.
    pub features: Vec<FeatureWeight>,
    /// Mean value of a response, when values were recorded.
    pub value_per_response: Option<f64>,
    /// Whether each contact's value of a response comes from a value model (fitted once at
    /// least 30 responders gave a value) rather than the mean.
    pub value_model: bool,
    /// Quality on held-out outcomes.
    pub held_out: HeldOutQuality,
}

/// One page of a scored audience.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorePage {
    /// Contacts, highest expected value first.
    pub items: Vec<ScoredContact>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// The model that scored them.
    pub model: ModelSummary,
}

/// Why `model` may not drive `uplift_positive` targeting for `goal`, if it may not.
fn uplift_unqualified(goal: Goal, model: &TargetingModel) -> Option<String> {
    if model.control.is_none() {
        return Some(format!(
            "uplift_positive targeting needs a {goal} model trained with control outcomes; run \
             campaigns with a holdout (or import control outcomes) and retrain, or use \
             top_fraction or budget targeting on the response model"
        ));
    }
    if model.uplift_qualified() {
        return None;
    }
    let interval = model.quality.qini_interval.map_or_else(
        || "could not be measured".to_owned(),
        |[low, high]| format!("has a 95% interval of {low:.4} to {high:.4}, which includes 0"),
    );
    Some(format!(
        "the {goal} model's uplift ranking is not better than random on held-out outcomes (its \
         Qini {interval}); use top_fraction or budget targeting on the response model, or retrain \
         once more control outcomes are recorded"
    ))
}

pub(super) fn summary(goal: Goal, trained_at: DateTime<Utc>, m: &TargetingModel) -> ModelSummary {
    ModelSummary {
        goal,
        trained_at,
        rows: m.rows,
        responders: m.responders,
        control_rows: m.control_rows,
        uplift_modelled: m.control.is_some(),
        uplift: m.uplift_qualified(),
        intercept: m.response.intercept,
        features: m
            .encoder
            .columns
            .iter()
            .zip(&m.response.coefficients)
            .map(|(c, b)| FeatureWeight {
                name: c.name.clone(),
                coefficient: *b,
                mean: c.mean,
                sd: c.sd,
            })
            .collect(),
        value_per_response: m.value_per_response,
        value_model: m.value_model.is_some(),
        held_out: HeldOutQuality {
            rows: m.quality.held_out_rows,
            auc: m.quality.auc,
            top_decile_lift: m.quality.top_decile_lift,
            calibration_error: m.quality.calibration_error,
            reliability: m.quality.reliability.clone(),
            qini: m.quality.qini,
            qini_interval: m.quality.qini_interval,
            captured_value: m.quality.captured_value.clone(),
        },
    }
}

/// A contact's attributes as model inputs (numbers, yes/no values and text; others ignored).
fn attributes(contact: &Contact) -> std::collections::BTreeMap<String, AttributeValue> {
    contact
        .attributes
        .iter()
        .filter_map(|(k, v)| {
            let value = match v {
                serde_json::Value::Number(n) => AttributeValue::Number(n.as_f64()?),
                serde_json::Value::Bool(b) => AttributeValue::Bool(*b),
                serde_json::Value::String(s) => AttributeValue::Text(s.clone()),
                _ => return None,
            };
            Some((k.clone(), value))
        })
        .collect()
}

/// A contact's engagement from its outcomes, leaving out one campaign.
fn engagement(history: &[&Outcome], except: Option<CampaignId>, now: DateTime<Utc>) -> Engagement {
    let mut e = Engagement::default();
    for o in history.iter().filter(|o| Some(o.campaign_id) != except) {
        let days = (now - o.updated_at).num_seconds().max(0) as f64 / 86_400.0;
        e.sends += f64::from(u8::from(o.delivered));
        if o.clicked {
            e.clicks += 1.0;
            e.days_since_click = Some(e.days_since_click.map_or(days, |d: f64| d.min(days)));
        }
        if o.converted {
            e.conversions += 1.0;
            e.days_since_conversion =
                Some(e.days_since_conversion.map_or(days, |d: f64| d.min(days)));
        }
    }
    e
}

fn responded(o: &Outcome, goal: Goal) -> bool {
    match goal {
        Goal::Clicks => o.clicked,
        Goal::Conversions => o.converted,
    }
}

/// A stable number per contact for the held-out split.
fn split_key(contact: ContactId) -> u64 {
    let id = contact.as_uuid().as_u128();
    (id as u64) ^ ((id >> 64) as u64).rotate_left(29)
}

impl Engine {
    /// Trains (or retrains) the organization's targeting model for `goal` from its outcomes.
    pub async fn train_targeting(&self, caller: &Caller, goal: Goal) -> AppResult<ModelSummary> {
        caller.require_write()?;
        self.train_model(caller.org, goal).await
    }

    pub(crate) async fn train_model(&self, org: OrgId, goal: Goal) -> AppResult<ModelSummary> {
        let repos = self.service_repos();
        let outcomes = repos.optimisation.all_outcomes(org).await?;
        let now = self.now();
        let mut by_contact: HashMap<ContactId, Vec<&Outcome>> = HashMap::new();
        for o in &outcomes {
            by_contact.entry(o.contact_id).or_default().push(o);
        }
        let contacts: HashMap<ContactId, Contact> = repos
            .contacts
            .get_many(org, by_contact.keys().copied().collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let rows: Vec<TrainingRow> = outcomes
            .iter()
            .filter(|o| o.group == Group::Control || o.delivered)
            .filter_map(|o| {
                let contact = contacts.get(&o.contact_id)?;
                Some(TrainingRow {
                    inputs: ContactInputs {
                        attributes: attributes(contact),
                        engagement: engagement(
                            &by_contact[&o.contact_id],
                            Some(o.campaign_id),
                            now,
                        ),
                    },
                    treated: o.group == Group::Treatment,
                    responded: responded(o, goal),
                    value: o.value.and_then(|v| v.to_f64()),
                    split_key: split_key(o.contact_id),
                })
            })
            .collect();
        let model = train(&rows, &TrainOptions::default()).map_err(|e| match e {
            TrainError::NotEnoughOutcomes { .. } => AppError::Conflict(format!(
                "not enough outcomes to train a {goal} model: {e}; record outcomes with \
                 POST /api/marketing/campaigns/{{id}}/outcomes or run campaigns first"
            )),
            TrainError::Fit(f) => {
                AppError::Conflict(format!("the {goal} model could not be fitted: {f}"))
            }
        })?;
        let stored = serde_json::to_value(&model)
            .map_err(|e| AppError::Internal(format!("a model that cannot be stored: {e}")))?;
        repos
            .optimisation
            .save_model(
                org,
                StoredModel {
                    goal,
                    model: stored,
                    trained_at: now,
                    outcomes_seen: outcomes.len() as u64,
                },
            )
            .await?;
        Ok(summary(goal, now, &model))
    }

    /// The stored model for `goal`, if one was trained.
    pub(crate) async fn stored_model(
        &self,
        org: OrgId,
        goal: Goal,
    ) -> AppResult<Option<(DateTime<Utc>, u64, TargetingModel)>> {
        let Some(stored) = self.service_repos().optimisation.model(org, goal).await? else {
            return Ok(None);
        };
        let model: TargetingModel = serde_json::from_value(stored.model)
            .map_err(|e| AppError::Internal(format!("a stored model that cannot be read: {e}")))?;
        Ok(Some((stored.trained_at, stored.outcomes_seen, model)))
    }

    /// Refuses `uplift_positive` targeting unless the organization's model for its goal is
    /// qualified (422 naming `targeting.mode`, with the reason and what to use instead).
    pub(crate) async fn check_targeting(
        &self,
        org: OrgId,
        targeting: Option<&ame_domain::Targeting>,
    ) -> AppResult<()> {
        let Some(t) = targeting.filter(|t| t.mode == TargetingMode::UpliftPositive) else {
            return Ok(());
        };
        let goal = t.goal();
        let why = match self.stored_model(org, goal).await? {
            Some((_, _, model)) => uplift_unqualified(goal, &model),
            None => Some(format!(
                "uplift_positive targeting needs a trained {goal} model with a qualified uplift \
                 ranking, and none is trained yet; use top_fraction or budget targeting, or train \
                 one with POST /api/marketing/targeting/train?goal={goal}"
            )),
        };
        match why {
            None => Ok(()),
            Some(why) => Err(AppError::Validation(vec![
                ame_domain::FieldError::with_allowed(
                    "targeting.mode",
                    why,
                    &["all", "top_fraction", "budget"],
                ),
            ])),
        }
    }

    pub(super) async fn require_model(
        &self,
        org: OrgId,
        goal: Goal,
    ) -> AppResult<(DateTime<Utc>, TargetingModel)> {
        self.stored_model(org, goal)
            .await?
            .map(|(at, _, m)| (at, m))
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "no {goal} model has been trained yet; train one with \
                     POST /api/marketing/targeting/train?goal={goal} once outcomes are recorded"
                ))
            })
    }

    /// The organization's model for `goal`.
    pub async fn targeting_model(&self, caller: &Caller, goal: Goal) -> AppResult<ModelSummary> {
        let (at, model) = self.require_model(caller.org, goal).await?;
        Ok(summary(goal, at, &model))
    }

    /// Retrains a goal's model when outcomes changed since it was trained (the worker's job).
    pub(crate) async fn retrain_if_changed(&self, org: OrgId, goal: Goal) -> AppResult<()> {
        let count = self.service_repos().optimisation.outcome_count(org).await?;
        if let Some((_, seen, _)) = self.stored_model(org, goal).await?
            && seen == count
        {
            return Ok(());
        }
        match self.train_model(org, goal).await {
            // Too few outcomes yet: nothing to retrain, not a failure.
            Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Scores contacts with a model, highest expected value first (ties by id).
    fn score_contacts(
        model: &TargetingModel,
        contacts: &[Contact],
        history: &HashMap<ContactId, Vec<&Outcome>>,
        now: DateTime<Utc>,
    ) -> Vec<ScoredContact> {
        let mut row = Vec::with_capacity(model.encoder.columns.len());
        let none = Vec::new();
        let mut scored: Vec<ScoredContact> = contacts
            .iter()
            .map(|c| {
                let inputs = ContactInputs {
                    attributes: attributes(c),
                    engagement: engagement(history.get(&c.id).unwrap_or(&none), None, now),
                };
                let s = model.score_with(&inputs, &mut row);
                ScoredContact {
                    contact_id: c.id,
                    email: c.email.clone(),
                    p_response: s.p_response,
                    expected_value: s.expected_value,
                    uplift: s.uplift,
                }
            })
            .collect();
        scored.sort_by(|a, b| {
            b.expected_value
                .total_cmp(&a.expected_value)
                .then(a.contact_id.as_uuid().cmp(&b.contact_id.as_uuid()))
        });
        scored
    }

    /// Scores `contacts` of `campaign`'s organization with `model`, engagement included.
    pub(crate) async fn score_for_campaign(
        &self,
        campaign: &Campaign,
        contacts: &[Contact],
        model: &TargetingModel,
    ) -> AppResult<Vec<ScoredContact>> {
        let outcomes = self
            .service_repos()
            .optimisation
            .all_outcomes(campaign.org_id)
            .await?;
        let mut history: HashMap<ContactId, Vec<&Outcome>> = HashMap::new();
        for o in &outcomes {
            history.entry(o.contact_id).or_default().push(o);
        }
        Ok(Self::score_contacts(model, contacts, &history, self.now()))
    }

    /// Whom a campaign enrols among `contacts`, with each one's holdout group. The holdout is
    /// drawn first, at random and independently of any score; targeting then picks the same
    /// way in both groups, so the control group stays comparable to those sent to. Budget mode
    /// counts only treated contacts against the budget.
    pub(crate) async fn select_audience(
        &self,
        campaign: &Campaign,
        contacts: Vec<Contact>,
    ) -> AppResult<Vec<(Contact, Group)>> {
        let seed = holdout_seed(campaign.id);
        let fraction = campaign.plan.holdout();
        let grouped = |c: Contact| {
            let g = draw_group(seed, c.id, fraction);
            (c, g)
        };
        let Some(targeting) = campaign
            .plan
            .targeting
            .clone()
            .filter(|t| t.mode != TargetingMode::All)
        else {
            return Ok(contacts.into_iter().map(grouped).collect());
        };
        let goal = targeting.goal();
        let (_, model) = self.require_model(campaign.org_id, goal).await?;
        if targeting.mode == TargetingMode::UpliftPositive
            && let Some(why) = uplift_unqualified(goal, &model)
        {
            return Err(AppError::Conflict(why));
        }
        let scored = self.score_for_campaign(campaign, &contacts, &model).await?;
        let mut by_id: HashMap<ContactId, Contact> =
            contacts.into_iter().map(|c| (c.id, c)).collect();
        let total = scored.len();
        let chosen: Vec<&ScoredContact> = match targeting.mode {
            TargetingMode::TopFraction => {
                let keep =
                    ((targeting.fraction.unwrap_or(1.0) * total as f64).ceil() as usize).min(total);
                scored.iter().take(keep).collect()
            }
            TargetingMode::Budget => {
                let budget = targeting.budget.unwrap_or(0) as usize;
                let mut treated = 0;
                scored
                    .iter()
                    .take_while(|s| {
                        if treated >= budget {
                            return false;
                        }
                        if draw_group(seed, s.contact_id, fraction) == Group::Treatment {
                            treated += 1;
                        }
                        true
                    })
                    .collect()
            }
            TargetingMode::UpliftPositive => scored
                .iter()
                .filter(|s| s.uplift.is_some_and(|u| u > 0.0))
                .collect(),
            TargetingMode::All => scored.iter().collect(),
        };
        Ok(chosen
            .into_iter()
            .filter_map(|s| by_id.remove(&s.contact_id))
            .map(grouped)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engagement_leaves_out_the_campaign_being_predicted() {
        let now = Utc::now();
        let mk = |campaign, clicked| Outcome {
            campaign_id: campaign,
            contact_id: ContactId::new(),
            group: Group::Treatment,
            variants: Default::default(),
            delivered: true,
            clicked,
            converted: false,
            value: None,
            converted_before: false,
            updated_at: now - TimeDelta::days(3),
        };
        let own = CampaignId::new();
        let other = CampaignId::new();
        let rows = [mk(own, true), mk(other, true)];
        let refs: Vec<&Outcome> = rows.iter().collect();
        let e = engagement(&refs, Some(own), now);
        assert_eq!((e.sends, e.clicks), (1.0, 1.0));
        assert!((e.days_since_click.unwrap() - 3.0).abs() < 1e-9);
        assert_eq!(engagement(&refs, None, now).clicks, 2.0);
    }
}
