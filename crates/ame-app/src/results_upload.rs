//! One campaign's results as a CSV file (the dashboard's upload): one row per day, channel and
//! optional asset, checked in full — every problem reported with its line and column — before
//! anything is stored, then stored in one transaction like the API's batch.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppError;
use ame_domain::{CampaignId, ResultRecordInput, ResultTotals, validate_result_records};
use serde_json::{Map, Value};

/// The columns a campaign results file may have (`date` and `channel` are required).
pub const RESULT_COLUMNS: [&str; 9] = [
    "date",
    "channel",
    "asset_id",
    "reach",
    "clicks",
    "leads",
    "conversions",
    "spend",
    "revenue",
];

/// Count columns (whole numbers).
const COUNTS: [&str; 4] = ["reach", "clicks", "leads", "conversions"];

/// A problem with one line of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line (the header is line 1; 0 for the file as a whole).
    pub line: u64,
    /// The column, or `file`/`header`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Why an upload stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file has problems; every one is listed.
    #[error("the file has {} problem(s)", .0.len())]
    Rows(Vec<RowError>),
    /// Anything else.
    #[error(transparent)]
    App(#[from] AppError),
}

fn row_error(line: u64, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Reads a results file into records, or every problem in it.
pub fn parse_results_csv(bytes: &[u8]) -> Result<Vec<ResultRecordInput>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(bytes);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_lowercase()).collect(),
        Err(e) => return Err(vec![row_error(1, "header", format!("not a CSV file: {e}"))]),
    };
    let mut errors = Vec::new();
    for column in &headers {
        if !RESULT_COLUMNS.contains(&column.as_str()) {
            errors.push(row_error(
                1,
                "header",
                format!(
                    "unknown column `{column}`; allowed: {}",
                    RESULT_COLUMNS.join(", ")
                ),
            ));
        }
    }
    for required in ["date", "channel"] {
        if !headers.iter().any(|h| h == required) {
            errors.push(row_error(
                1,
                "header",
                format!("the `{required}` column is missing"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut records = Vec::new();
    let mut lines = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(row_error(line, "row", format!("unreadable: {e}")));
                continue;
            }
        };
        let mut fields = Map::new();
        let mut bad = false;
        for (column, value) in headers.iter().zip(row.iter()) {
            let json = if value.is_empty() {
                Value::Null
            } else if COUNTS.contains(&column.as_str()) {
                match value.replace(',', "").parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => {
                        errors.push(row_error(
                            line,
                            column,
                            format!("`{value}` is not a whole number"),
                        ));
                        bad = true;
                        continue;
                    }
                }
            } else {
                Value::from(value)
            };
            fields.insert(column.clone(), json);
        }
        if bad {
            continue;
        }
        match serde_path_to_error::deserialize::<_, ResultRecordInput>(Value::Object(fields)) {
            Ok(record) => {
                records.push(record);
                lines.push(line);
            }
            Err(e) => {
                let field = e.path().to_string();
                errors.push(row_error(line, &field, e.inner().to_string()));
            }
        }
    }
    if records.is_empty() && errors.is_empty() {
        errors.push(row_error(0, "file", "the file has a header but no rows"));
    }
    if let Err(invalid) = validate_result_records(&records) {
        for e in invalid.errors {
            let (index, field) = e
                .field
                .strip_prefix('[')
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (Some(i), f.to_owned())))
                .unwrap_or((None, e.field.clone()));
            let line = index.and_then(|i| lines.get(i)).copied().unwrap_or(0);
            errors.push(RowError {
                line,
                field,
                message: e.message,
            });
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

impl Engine {
    /// Records a campaign's results from a CSV file: all rows or none.
    pub async fn upload_results(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        bytes: &[u8],
    ) -> Result<ResultTotals, UploadError> {
        caller.require_write()?;
        let records = parse_results_csv(bytes).map_err(UploadError::Rows)?;
        Ok(self.record_results(caller, campaign, records).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_becomes_records() {
        let file = b"date,channel,reach,clicks,leads,conversions,spend,revenue\n\
2026-11-01,email,1000,40,5,2,120.50,900.00\n2026-11-02,email,1100,,6,1,,\n";
        let records = parse_results_csv(file).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].clicks, Some(40));
        assert_eq!(
            records[1].clicks, None,
            "an empty cell is not measured, not 0"
        );
    }

    #[test]
    fn every_bad_row_is_named_by_line_and_column() {
        let file = b"date,channel,clicks\n2026-11-01,fax,3\n2026-11-02,email,-4\n2026-11-03,email,many\n2026-13-01,email,1\n";
        let errors = parse_results_csv(file).unwrap_err();
        let at: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert!(at.contains(&(2, "channel")), "{at:?}");
        assert!(at.contains(&(4, "clicks")), "{at:?}");
        assert!(at.contains(&(5, "date")), "{at:?}");
        assert!(
            at.iter().any(|(line, _)| *line == 3),
            "negative clicks: {at:?}"
        );
    }

    #[test]
    fn a_wrong_header_is_reported_before_any_row() {
        let errors = parse_results_csv(b"day,channel\n2026-11-01,email\n").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("unknown column `day`"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("`date` column is missing"))
        );
    }
}
