//! A remote model that answers with junk, served by a local OpenAI-compatible server: every kind
//! of junk a broken model writes is refused field by field, and the field is rewritten by the
//! built-in copywriter, on the record.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_domain::{AssetType, CampaignType};
use ame_generation::builtin;
use ame_generation::copy::CopySpec;
use ame_generation::corpus;
use ame_generation::openai::{OpenAiClient, OpenAiConfig};
use ame_generation::pipeline::Generator;
use ame_generation::speech::EspeakNg;
use ame_generation::text_model::RemoteModel;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// What broken models have been seen to write, each standing in one Facebook post.
const JUNK: [&str; 13] = [
    "Fresh bread is undefined.",
    "Your loaf is null.",
    "Price: N/A.",
    "Fresh every morning: [object Object].",
    "TODO: write the post.",
    "Lorem ipsum dolor sit amet.",
    "As an AI language model, I cannot write adverts.",
    "Insert your testimonial here.",
    "<b>Fresh</b> bread every morning.",
    "Fresh bread delivered to your do",
    "Get the the freshest loaf in town.",
    "Now 73% cheaper than any other bakery.",
    "The best bread in Manchester, guaranteed.",
];

/// Serves chat completions on a loopback port: each answer is `answers`' copy for the asset
/// named by the request's schema.
async fn serve(answers: Arc<Value>) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answers = Arc::clone(&answers);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0_u8; 8192];
                let (head_end, length) = loop {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buffer[..at]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (at + 4, length);
                    }
                };
                while buffer.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let request: Value = serde_json::from_slice(&buffer[head_end..]).unwrap();
                let asset = request["response_format"]["json_schema"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let body = json!({
                    "id": "chatcmpl-junk",
                    "object": "chat.completion",
                    "model": "junk-model",
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": answers[&asset].to_string()},
                        "finish_reason": "stop",
                    }],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })
                .to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Url::parse(&format!("http://{address}/v1")).unwrap()
}

#[tokio::test]
async fn every_kind_of_junk_a_model_writes_is_refused_and_its_field_rewritten() {
    let brief = corpus::briefs(&[7])
        .into_iter()
        .find(|b| {
            b.brand.company_name == "Crumb & Co."
                && b.campaign.campaign_type == CampaignType::LeadGen
        })
        .unwrap();
    let channels = brief.campaign.plan.channels.clone();
    for junk in JUNK {
        // Good copy for every asset (the built-in writer's), with the junk in one post.
        let mut answers = serde_json::Map::new();
        for &asset_type in CampaignType::LeadGen.asset_types() {
            let spec = CopySpec::new(asset_type, CampaignType::LeadGen, &channels);
            let mut copy = serde_json::to_value(builtin::write(&brief, &spec)).unwrap();
            if asset_type == AssetType::SocialPost {
                copy["facebook"][0] = json!(junk);
            }
            answers.insert(asset_type.as_str().to_owned(), copy);
        }
        let base_url = serve(Arc::new(Value::Object(answers))).await;
        let client = OpenAiClient::new(OpenAiConfig {
            timeout: Duration::from_secs(10),
            ..OpenAiConfig::new(base_url, "junk-model")
        })
        .unwrap();
        let generator = Generator::new(
            Arc::new(RemoteModel::new(client)),
            Arc::new(EspeakNg::new()),
        );
        for asset in generator.generate(&brief).await {
            let generation = &asset.metadata["generation"];
            if asset.asset_type == AssetType::SocialPost {
                // Only the post with the junk is rewritten; the model's other posts stay.
                assert_eq!(
                    generation["provider"], "openai-compatible",
                    "{junk}: {generation}"
                );
                assert_eq!(
                    generation["mended"]["fields_from_builtin"],
                    json!(["facebook[0]"]),
                    "{junk}: {generation}"
                );
                assert!(generation["fallback"].is_null(), "{junk}: {generation}");
                assert!(
                    !asset.content.to_string().contains(junk),
                    "{junk} reached the post"
                );
            } else {
                assert_eq!(
                    generation["provider"], "openai-compatible",
                    "{junk}: {} {generation}",
                    asset.asset_type
                );
            }
            assert_eq!(asset.metadata["quality"]["passed"], true, "{junk}");
        }
    }
}
