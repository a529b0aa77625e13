//! Email sequence copy: subject lines and preheaders written from three angles per email, the
//! body per email purpose and campaign type (all from the brand's vertical playbook), and the
//! greeting.

use super::{Chooser, Slots, cta_labels};
use crate::brief::{Brief, capitalize};
use crate::copy::{CopySpec, EmailCopy, EmailSequenceCopy, VARIANTS};
use crate::limits as l;
use ame_domain::Tone;

/// The greeting line of every email in `tone` (with the `{{first_name}}` merge tag).
pub fn email_greeting(tone: Tone) -> &'static str {
    match tone {
        Tone::Professional => "Hello {{first_name}},",
        Tone::Bold => "{{first_name}} —",
        Tone::Playful => "Hey {{first_name}}!",
        Tone::Empathetic | Tone::Friendly => "Hi {{first_name}},",
    }
}

/// Subject and preheader variants, body and button label of every planned email. Only the
/// first email's subjects speak of a benefit; each email's body speaks of its own (the first
/// email of the first benefit, and so on), so no benefit is said more than twice to a reader.
pub(super) fn write(brief: &Brief, spec: &CopySpec, s: &Slots, c: &Chooser) -> EmailSequenceCopy {
    let t = brief.campaign.campaign_type;
    let labels = cta_labels(s, t);
    let last = spec.emails.len().saturating_sub(1);
    // Lead generation asks with the brand's own call to action in every email; the other types'
    // last email asks with the campaign's, and the seed words the buttons before it from the
    // type's labels.
    let label = |i: usize| -> String {
        let chosen = if i == last || t == ame_domain::CampaignType::LeadGen {
            labels[0]
        } else {
            c.pick(&format!("email{i}.cta_label"), labels)
                .copied()
                .unwrap_or(labels[0])
        };
        Some(s.fill(chosen))
            .filter(|l| !l.is_empty() && l::chars(l) <= l::BUTTON)
            .unwrap_or_else(|| s.fill(labels[0]))
    };
    EmailSequenceCopy {
        emails: spec
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailCopy {
                subject: c.angles_from(
                    &format!("email{i}.subject"),
                    &s.playbook.subjects(t, e.purpose),
                    s,
                    l::EMAIL_SUBJECT,
                    VARIANTS,
                    if i == 0 { 0 } else { usize::MAX / 2 },
                ),
                preheader: c.angles_from(
                    &format!("email{i}.preheader"),
                    &s.playbook.preheaders(t, e.purpose),
                    s,
                    l::EMAIL_PREHEADER,
                    VARIANTS,
                    usize::MAX / 2,
                ),
                body: s
                    .playbook
                    .body(t, e.purpose)
                    .iter()
                    .enumerate()
                    .filter_map(|(j, options)| {
                        let pick = c.pick(&format!("email{i}.body{j}"), options)?;
                        let text = pick
                            .split('|')
                            .find_map(|alternative| s.fill_with(alternative, s.benefit(i)))
                            .unwrap_or_default();
                        (!text.is_empty()).then(|| capitalize(&text))
                    })
                    .collect(),
                cta_label: label(i),
            })
            .collect(),
    }
}
