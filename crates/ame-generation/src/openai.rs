//! A client for OpenAI-compatible chat-completions servers that asks for JSON structured output.
//!
//! One request sends a system and a user message plus a JSON Schema; the server is asked to
//! constrain its answer to that schema and the reply's message content is parsed as a JSON
//! object. The same client talks to OpenAI, vLLM, Ollama, llama.cpp's `llama-server` and
//! llama-cpp-python's server.
//!
//! # Request shape
//!
//! Servers disagree on how the schema is passed, so [`ResponseFormatStyle`] chooses:
//!
//! * [`ResponseFormatStyle::JsonSchema`] — the OpenAI form,
//!   `{"type": "json_schema", "json_schema": {"name": …, "strict": true, "schema": …}}`,
//!   understood by OpenAI, vLLM, Ollama and `llama-server`.
//! * [`ResponseFormatStyle::JsonObjectWithSchema`] — `{"type": "json_object", "schema": …}`,
//!   the only form llama-cpp-python's server understands (its request model allows only `text`
//!   and `json_object`; version 0.3.36 answers the OpenAI form with a 500 whose body is the
//!   validation error naming `response_format`).
//! * [`ResponseFormatStyle::Auto`] (the default) — starts with the OpenAI form and, when the
//!   server rejects it (400 or 422, or any other error status but 429 whose body mentions
//!   `response_format` or `json_object`), repeats the request at once in the `json_object`
//!   form, without using up a retry; once that form has succeeded the client keeps using it.
//!
//! OpenAI's strict mode only accepts schemas whose objects list every property as required and
//! set `additionalProperties: false`; llama-cpp-python silently falls back to "any JSON" when it
//! cannot turn a schema into a grammar, so the caller should still validate the returned value.
//!
//! # Failures and retries
//!
//! Each attempt is bounded by [`OpenAiConfig::timeout`]. Timeouts, transport errors, 429 and 5xx
//! answers are retried up to [`OpenAiConfig::max_retries`] times with exponential backoff
//! (200 ms, 400 ms, …), or after the server's `Retry-After` when it asks for at most 30 seconds;
//! other answers are returned at once. At most [`OpenAiConfig::max_concurrency`] requests of one
//! client (and its clones) are in flight at a time.
//!
//! # Transport
//!
//! The workspace asks for `reqwest` without a TLS feature; `https://` base URLs (OpenAI itself)
//! still work because `object_store`'s `aws` feature turns on `reqwest`'s rustls with the
//! system's root certificates in the same build. Should that dependency go, enable a TLS feature
//! of `reqwest` here, or `https://` requests will fail as [`ProviderError::Transport`].
//! The API key is sent as a bearer token and is never logged or shown by `Debug`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use url::Url;

/// Longest excerpt of a server body kept in an error, in characters.
const BODY_EXCERPT_CHARS: usize = 512;
/// Wait before the first retry; doubled for each further one.
const BASE_BACKOFF: Duration = Duration::from_millis(200);
/// Longest `Retry-After` the client is willing to wait for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How the JSON Schema is put into the request's `response_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormatStyle {
    /// Start with [`Self::JsonSchema`]; fall back to [`Self::JsonObjectWithSchema`] when the
    /// server rejects that shape, and keep the fallback once it has worked.
    #[default]
    Auto,
    /// `{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}` (OpenAI,
    /// vLLM, Ollama, llama.cpp's `llama-server`).
    JsonSchema,
    /// `{"type": "json_object", "schema": …}` (llama-cpp-python's server).
    JsonObjectWithSchema,
}

/// Settings of an [`OpenAiClient`].
#[derive(Clone)]
pub struct OpenAiConfig {
    /// Base URL of the API, up to and including the version, e.g. `http://127.0.0.1:8000/v1`;
    /// requests go to `{base_url}/chat/completions`.
    pub base_url: Url,
    /// Model name sent with every request.
    pub model: String,
    /// API key, sent as `Authorization: Bearer …` when set.
    pub api_key: Option<String>,
    /// Time limit of one attempt (sending the request and reading the whole answer).
    pub timeout: Duration,
    /// How many times a failed attempt is retried (timeouts, transport errors, 429, 5xx).
    pub max_retries: u32,
    /// Most requests in flight at once; must be at least 1.
    pub max_concurrency: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens the model may generate for one answer, sent as `max_tokens` (which every
    /// listed server reads; OpenAI's reasoning models want `max_completion_tokens` instead).
    pub max_tokens: u32,
    /// How the schema is put into the request.
    pub response_format: ResponseFormatStyle,
}

impl OpenAiConfig {
    /// Settings for `model` at `base_url` with the defaults: no API key, a 60 s timeout per
    /// attempt, 2 retries, 4 concurrent requests, temperature 0.7, 1024 tokens and the
    /// [`ResponseFormatStyle::Auto`] request shape.
    pub fn new(base_url: Url, model: impl Into<String>) -> Self {
        Self {
            base_url,
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(60),
            max_retries: 2,
            max_concurrency: 4,
            temperature: 0.7,
            max_tokens: 1024,
            response_format: ResponseFormatStyle::Auto,
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url.as_str())
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_concurrency", &self.max_concurrency)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("response_format", &self.response_format)
            .finish()
    }
}

/// One request for a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRequest {
    /// Name of the schema (OpenAI wants `[a-zA-Z0-9_-]{1,64}`).
    pub schema_name: String,
    /// JSON Schema of the wanted object.
    pub schema: Value,
    /// The system message.
    pub system: String,
    /// The user message.
    pub user: String,
    /// Sampling seed, for servers that honour one.
    pub seed: Option<u64>,
}

/// The parsed answer to a [`JsonRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct JsonReply {
    /// The JSON object the model produced.
    pub value: Value,
    /// The model that answered, as the server names it (else the configured one).
    pub model: String,
    /// Prompt tokens, when the server reports usage.
    pub prompt_tokens: Option<u64>,
    /// Generated tokens, when the server reports usage.
    pub completion_tokens: Option<u64>,
    /// Wall-clock time of the whole call in milliseconds, including waits for a concurrency
    /// slot, failed attempts and backoff.
    pub latency_ms: u64,
    /// HTTP requests made, the successful one included.
    pub attempts: u32,
}

/// Escapes control characters that appear raw inside JSON strings (grammar-constrained local
/// models emit literal line breaks there), leaving everything outside strings untouched.
pub fn escape_raw_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string && !escaped && c.is_control() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                other => out.push_str(&format!("\\u{:04x}", other as u32)),
            }
            continue;
        }
        if in_string && !escaped && c == '\\' {
            escaped = true;
            out.push(c);
            continue;
        }
        if !escaped && c == '"' {
            in_string = !in_string;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// Why a structured completion failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The configuration cannot work (bad base URL, zero concurrency, unusable request).
    #[error("invalid model provider configuration: {0}")]
    Config(String),
    /// The last attempt did not finish within the per-attempt time limit.
    #[error("model server did not answer within {timeout:?}")]
    Timeout {
        /// The per-attempt limit that ran out.
        timeout: Duration,
    },
    /// The server answered with a non-success status.
    #[error("model server answered HTTP {status}: {body_excerpt}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body.
        body_excerpt: String,
    },
    /// The request could not be sent or the answer not read (connection refused, reset, …).
    #[error("could not reach the model server: {0}")]
    Transport(String),
    /// The server answered 2xx but not with a chat completion holding a JSON object.
    #[error("unusable answer from the model server: {0}")]
    BadResponse(String),
}

impl ProviderError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Transport(_) => true,
            Self::Http { status, .. } => *status == 429 || (500..600).contains(status),
            Self::Config(_) | Self::BadResponse(_) => false,
        }
    }
}

/// A client for one model on an OpenAI-compatible server. Cloning is cheap and clones share
/// the concurrency limit.
#[derive(Clone)]
pub struct OpenAiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    config: OpenAiConfig,
    permits: Semaphore,
    /// Set once [`ResponseFormatStyle::Auto`] has found that the server wants `json_object`.
    downgraded: AtomicBool,
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// An answer read in full within the time limit.
struct RawAnswer {
    status: reqwest::StatusCode,
    retry_after: Option<Duration>,
    text: String,
}

impl OpenAiClient {
    /// A client for `config`; fails when the base URL is not `http(s)` or the concurrency is 0.
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        if config.max_concurrency == 0 {
            return Err(ProviderError::Config(
                "max_concurrency must be at least 1".to_owned(),
            ));
        }
        let scheme = config.base_url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(ProviderError::Config(format!(
                "base URL scheme must be http or https, not {scheme}"
            )));
        }
        let endpoint = format!(
            "{}/chat/completions",
            config.base_url.as_str().trim_end_matches('/')
        );
        let endpoint = Url::parse(&endpoint)
            .map_err(|error| ProviderError::Config(format!("bad base URL: {error}")))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|error| ProviderError::Config(error_chain(&error)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                permits: Semaphore::new(config.max_concurrency),
                config,
                downgraded: AtomicBool::new(false),
            }),
        })
    }

    /// The configured model name.
    pub fn model(&self) -> &str {
        &self.inner.config.model
    }

    /// The longest `writes` requests may take together: each runs every attempt at the whole
    /// timeout (one more attempt when the server refuses `json_schema`) and waits the longest
    /// honoured `Retry-After` before each retry, `max_concurrency` of them at a time.
    pub fn longest(&self, writes: usize) -> Duration {
        let config = &self.inner.config;
        let one = config
            .timeout
            .saturating_mul(config.max_retries.saturating_add(2))
            + MAX_RETRY_AFTER.saturating_mul(config.max_retries);
        let rounds = writes.div_ceil(config.max_concurrency.max(1));
        one.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
    }

    /// Asks the model for an object matching `req.schema` and parses it.
    pub async fn complete_json(&self, req: &JsonRequest) -> Result<JsonReply, ProviderError> {
        let started = Instant::now();
        let configured = self.inner.config.response_format;
        let mut style = match configured {
            ResponseFormatStyle::Auto if self.inner.downgraded.load(Ordering::Relaxed) => {
                ResponseFormatStyle::JsonObjectWithSchema
            }
            ResponseFormatStyle::Auto => ResponseFormatStyle::JsonSchema,
            fixed => fixed,
        };
        let mut attempts = 0_u32;
        let mut retries_left = self.inner.config.max_retries;
        let mut backoff = BASE_BACKOFF;
        loop {
            attempts += 1;
            let body = self.request_body(req, style);
            let (error, retry_after) = match self.send_once(&body).await {
                Ok(answer) if answer.status.is_success() => {
                    if configured == ResponseFormatStyle::Auto
                        && style == ResponseFormatStyle::JsonObjectWithSchema
                    {
                        self.inner.downgraded.store(true, Ordering::Relaxed);
                    }
                    let parsed = parse_answer(&answer.text, &self.inner.config.model)?;
                    let latency_ms =
                        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    tracing::debug!(
                        model = %parsed.model,
                        attempts,
                        latency_ms,
                        completion_tokens = ?parsed.completion_tokens,
                        "structured completion done"
                    );
                    return Ok(JsonReply {
                        value: parsed.value,
                        model: parsed.model,
                        prompt_tokens: parsed.prompt_tokens,
                        completion_tokens: parsed.completion_tokens,
                        latency_ms,
                        attempts,
                    });
                }
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    let error = ProviderError::Http {
                        status,
                        body_excerpt: excerpt(&answer.text),
                    };
                    if configured == ResponseFormatStyle::Auto
                        && style == ResponseFormatStyle::JsonSchema
                        && rejects_json_schema(status, &answer.text)
                    {
                        tracing::info!(
                            %error,
                            "server rejected the json_schema response format; \
                             retrying with json_object and a schema"
                        );
                        style = ResponseFormatStyle::JsonObjectWithSchema;
                        continue;
                    }
                    (error, answer.retry_after)
                }
                Err(error) => (error, None),
            };
            if !error.is_retryable() || retries_left == 0 {
                return Err(error);
            }
            let wait = match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => return Err(error),
                Some(wait) => wait,
                None => backoff,
            };
            retries_left -= 1;
            tracing::warn!(
                %error,
                attempt = attempts,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "model request failed; retrying"
            );
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
        }
    }

    fn request_body(&self, req: &JsonRequest, style: ResponseFormatStyle) -> Value {
        let config = &self.inner.config;
        let response_format = match style {
            ResponseFormatStyle::JsonObjectWithSchema => json!({
                "type": "json_object",
                "schema": req.schema,
            }),
            ResponseFormatStyle::Auto | ResponseFormatStyle::JsonSchema => json!({
                "type": "json_schema",
                "json_schema": {
                    "name": req.schema_name,
                    "strict": true,
                    "schema": req.schema,
                },
            }),
        };
        let mut body = json!({
            "model": config.model,
            "messages": [
                {"role": "system", "content": req.system},
                {"role": "user", "content": req.user},
            ],
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "response_format": response_format,
            "stream": false,
        });
        if let (Some(seed), Some(fields)) = (req.seed, body.as_object_mut()) {
            fields.insert("seed".to_owned(), json!(seed));
        }
        body
    }

    /// One HTTP request under a concurrency permit and the per-attempt time limit.
    async fn send_once(&self, body: &Value) -> Result<RawAnswer, ProviderError> {
        let inner = &self.inner;
        let _permit = inner
            .permits
            .acquire()
            .await
            .map_err(|_| ProviderError::Transport("the client was shut down".to_owned()))?;
        let mut request = inner.http.post(inner.endpoint.clone()).json(body);
        if let Some(key) = &inner.config.api_key {
            request = request.bearer_auth(key);
        }
        tracing::debug!(endpoint = %inner.endpoint, model = %inner.config.model, "sending structured completion request");
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await?;
            Ok::<_, reqwest::Error>(RawAnswer {
                status,
                retry_after,
                text,
            })
        };
        let timeout = inner.config.timeout;
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Err(ProviderError::Timeout { timeout }),
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) if error.is_timeout() => Err(ProviderError::Timeout { timeout }),
            Ok(Err(error)) if error.is_builder() => Err(ProviderError::Config(error_chain(&error))),
            Ok(Err(error)) => Err(ProviderError::Transport(error_chain(&error))),
        }
    }
}

/// Whether an error answer to a `json_schema` request looks like the server refusing that
/// response format (rather than, say, being overloaded).
fn rejects_json_schema(status: u16, body: &str) -> bool {
    status == 400
        || status == 422
        || (status != 429 && (body.contains("response_format") || body.contains("json_object")))
        // llama-cpp-python's server under recent FastAPI versions answers the refusal with
        // Starlette's bare 500 page instead of the validation message.
        || (status == 500 && body.trim() == "Internal Server Error")
}

/// The useful parts of a successful chat-completion body.
struct ParsedAnswer {
    value: Value,
    model: String,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

fn parse_answer(text: &str, configured_model: &str) -> Result<ParsedAnswer, ProviderError> {
    let body: Value = serde_json::from_str(text).map_err(|error| {
        ProviderError::BadResponse(format!("body is not JSON ({error}): {}", excerpt(text)))
    })?;
    let message = body
        .pointer("/choices/0/message")
        .ok_or_else(|| ProviderError::BadResponse(format!("no choices: {}", excerpt(text))))?;
    let content = match message.get("content").and_then(Value::as_str) {
        Some(content) => content,
        None => {
            let refusal = message
                .get("refusal")
                .and_then(Value::as_str)
                .map(|refusal| format!(" (refusal: {})", excerpt(refusal)))
                .unwrap_or_default();
            return Err(ProviderError::BadResponse(format!(
                "the message has no text content{refusal}"
            )));
        }
    };
    let text = strip_code_fence(content);
    let value: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&escape_raw_controls(text)))
        .map_err(|error| {
            ProviderError::BadResponse(format!(
                "message content is not JSON ({error}): {}",
                excerpt(content)
            ))
        })?;
    if !value.is_object() {
        return Err(ProviderError::BadResponse(format!(
            "message content is JSON but not an object: {}",
            excerpt(content)
        )));
    }
    Ok(ParsedAnswer {
        value,
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(configured_model)
            .to_owned(),
        prompt_tokens: body.pointer("/usage/prompt_tokens").and_then(Value::as_u64),
        completion_tokens: body
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64),
    })
}

/// The content without a surrounding Markdown code fence such as ```` ```json … ``` ````.
fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

/// At most [`BODY_EXCERPT_CHARS`] characters of `text`.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An error's message followed by those of its sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// What the fake server answers to one request.
    struct Reply {
        status: u16,
        body: String,
        delay: Duration,
        headers: Vec<(&'static str, String)>,
    }

    impl Reply {
        fn completion(content: &str) -> Self {
            let body = json!({
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "fake-model-v1",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }],
                "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
            });
            Self::status(200, &body.to_string())
        }

        fn status(status: u16, body: &str) -> Self {
            Self {
                status,
                body: body.to_owned(),
                delay: Duration::ZERO,
                headers: Vec::new(),
            }
        }

        fn delayed(mut self, delay: Duration) -> Self {
            self.delay = delay;
            self
        }
    }

    /// A request as the fake server saw it.
    #[derive(Clone)]
    struct Seen {
        head: String,
        body: Value,
    }

    type Handler = dyn Fn(usize, &Value) -> Reply + Send + Sync;

    struct FakeServer {
        base_url: Url,
        seen: Arc<Mutex<Vec<Seen>>>,
        most_in_flight: Arc<AtomicUsize>,
    }

    impl FakeServer {
        /// Serves on a free loopback port; `handler` gets the request's index and JSON body.
        async fn start(handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let in_flight = Arc::new(AtomicUsize::new(0));
            let most_in_flight = Arc::new(AtomicUsize::new(0));
            let handler: Arc<Handler> = Arc::new(handler);
            {
                let seen = Arc::clone(&seen);
                let most_in_flight = Arc::clone(&most_in_flight);
                tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        tokio::spawn(serve_one(
                            stream,
                            Arc::clone(&handler),
                            Arc::clone(&seen),
                            Arc::clone(&in_flight),
                            Arc::clone(&most_in_flight),
                        ));
                    }
                });
            }
            Self {
                base_url: Url::parse(&format!("http://{address}/v1")).unwrap(),
                seen,
                most_in_flight,
            }
        }

        fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
    }

    async fn serve_one(
        mut stream: TcpStream,
        handler: Arc<Handler>,
        seen: Arc<Mutex<Vec<Seen>>>,
        in_flight: Arc<AtomicUsize>,
        most_in_flight: Arc<AtomicUsize>,
    ) {
        let mut buffer = Vec::new();
        let mut chunk = [0_u8; 8192];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let content_length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + content_length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Value = serde_json::from_slice(&buffer[head_end..head_end + content_length])
            .unwrap_or_default();
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        most_in_flight.fetch_max(now, Ordering::SeqCst);
        let index = {
            let mut seen = seen.lock().unwrap();
            seen.push(Seen {
                head,
                body: body.clone(),
            });
            seen.len() - 1
        };
        let reply = handler(index, &body);
        tokio::time::sleep(reply.delay).await;
        let mut answer = format!(
            "HTTP/1.1 {} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            answer.push_str(&format!("{name}: {value}\r\n"));
        }
        answer.push_str("\r\n");
        answer.push_str(&reply.body);
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn config(server: &FakeServer) -> OpenAiConfig {
        OpenAiConfig {
            api_key: Some("sk-test-secret".to_owned()),
            timeout: Duration::from_secs(5),
            ..OpenAiConfig::new(server.base_url.clone(), "fake-model")
        }
    }

    fn request() -> JsonRequest {
        JsonRequest {
            schema_name: "headline".to_owned(),
            schema: json!({
                "type": "object",
                "properties": {"headline": {"type": "string"}},
                "required": ["headline"],
                "additionalProperties": false,
            }),
            system: "You write ad headlines as JSON.".to_owned(),
            user: "A headline for a bakery.".to_owned(),
            seed: Some(7),
        }
    }

    const GOOD: &str = r#"{"headline": "Fresh bread daily"}"#;

    #[tokio::test]
    async fn happy_path_sends_the_openai_request_shape() {
        let server = FakeServer::start(|_, _| Reply::completion(GOOD)).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let reply = client.complete_json(&request()).await.unwrap();

        assert_eq!(reply.value, json!({"headline": "Fresh bread daily"}));
        assert_eq!(reply.model, "fake-model-v1");
        assert_eq!(reply.prompt_tokens, Some(42));
        assert_eq!(reply.completion_tokens, Some(7));
        assert_eq!(reply.attempts, 1);
        assert_eq!(client.model(), "fake-model");

        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let head = seen[0].head.to_ascii_lowercase();
        assert!(head.starts_with("post /v1/chat/completions "), "{head}");
        assert!(
            head.contains("authorization: bearer sk-test-secret"),
            "{head}"
        );
        let body = &seen[0].body;
        assert_eq!(body["model"], "fake-model");
        assert_eq!(body["seed"], 7);
        assert_eq!(body["max_tokens"], 1024);
        assert_eq!(body["stream"], false);
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "You write ad headlines as JSON."},
                {"role": "user", "content": "A headline for a bakery."},
            ])
        );
        assert_eq!(
            body["response_format"],
            json!({
                "type": "json_schema",
                "json_schema": {"name": "headline", "strict": true, "schema": request().schema},
            })
        );
    }

    #[tokio::test]
    async fn no_api_key_sends_no_authorization_header() {
        let server = FakeServer::start(|_, _| Reply::completion(GOOD)).await;
        let client = OpenAiClient::new(OpenAiConfig {
            api_key: None,
            ..config(&server)
        })
        .unwrap();

        client.complete_json(&request()).await.unwrap();

        let head = server.seen()[0].head.to_ascii_lowercase();
        assert!(!head.contains("authorization"), "{head}");
    }

    #[tokio::test]
    async fn fenced_json_content_is_unwrapped() {
        let server = FakeServer::start(|_, _| {
            Reply::completion("```json\n{\"headline\": \"Fresh bread daily\"}\n```\n")
        })
        .await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let reply = client.complete_json(&request()).await.unwrap();

        assert_eq!(reply.value, json!({"headline": "Fresh bread daily"}));
    }

    #[tokio::test]
    async fn server_error_is_retried() {
        let server = FakeServer::start(|index, _| match index {
            0 => Reply::status(500, r#"{"error": "overloaded"}"#),
            _ => Reply::completion(GOOD),
        })
        .await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let reply = client.complete_json(&request()).await.unwrap();

        assert_eq!(reply.attempts, 2);
        assert_eq!(server.seen().len(), 2);
        assert!(
            reply.latency_ms >= 200,
            "backoff waited: {}",
            reply.latency_ms
        );
    }

    #[tokio::test]
    async fn too_many_requests_honours_retry_after() {
        let server = FakeServer::start(|index, _| match index {
            0 => Reply {
                headers: vec![("retry-after", "0".to_owned())],
                ..Reply::status(429, "slow down")
            },
            _ => Reply::completion(GOOD),
        })
        .await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let reply = client.complete_json(&request()).await.unwrap();

        assert_eq!(reply.attempts, 2);
        assert!(reply.latency_ms < 200, "Retry-After 0 skips the backoff");
    }

    #[tokio::test]
    async fn client_error_is_not_retried() {
        let server = FakeServer::start(|_, _| Reply::status(401, r#"{"error": "bad key"}"#)).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        match error {
            ProviderError::Http {
                status,
                body_excerpt,
            } => {
                assert_eq!(status, 401);
                assert!(body_excerpt.contains("bad key"));
            }
            other => panic!("expected an HTTP error, got {other:?}"),
        }
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn bad_request_is_not_retried_with_a_fixed_style() {
        let server = FakeServer::start(|_, _| Reply::status(400, "context too long")).await;
        let client = OpenAiClient::new(OpenAiConfig {
            response_format: ResponseFormatStyle::JsonSchema,
            ..config(&server)
        })
        .unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(
            matches!(error, ProviderError::Http { status: 400, .. }),
            "{error:?}"
        );
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn auto_style_falls_back_to_json_object_and_remembers() {
        let server = FakeServer::start(|_, body| {
            if body["response_format"]["type"] == "json_schema" {
                Reply::status(
                    422,
                    r#"{"detail": "Input should be 'text' or 'json_object'"}"#,
                )
            } else {
                Reply::completion(GOOD)
            }
        })
        .await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let first = client.complete_json(&request()).await.unwrap();
        let second = client.complete_json(&request()).await.unwrap();

        assert_eq!(first.attempts, 2);
        assert_eq!(second.attempts, 1);
        let seen = server.seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            seen[1].body["response_format"],
            json!({"type": "json_object", "schema": request().schema})
        );
        assert_eq!(seen[2].body["response_format"]["type"], "json_object");
    }

    #[tokio::test]
    async fn auto_style_falls_back_on_llama_cpp_pythons_500() {
        // The body llama-cpp-python 0.3.36's server sends for a `json_schema` request.
        const REJECTION: &str = r#"{"error":{"message":"1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}","type":"internal_server_error","param":null,"code":null}}"#;
        let server = FakeServer::start(|_, body| {
            if body["response_format"]["type"] == "json_schema" {
                Reply::status(500, REJECTION)
            } else {
                Reply::completion(GOOD)
            }
        })
        .await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let reply = client.complete_json(&request()).await.unwrap();

        assert_eq!(reply.attempts, 2);
        assert!(reply.latency_ms < 200, "the fallback does not back off");
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn bad_request_in_both_styles_is_returned() {
        let server = FakeServer::start(|_, _| Reply::status(400, "model not found")).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(
            matches!(error, ProviderError::Http { status: 400, .. }),
            "{error:?}"
        );
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn slow_server_times_out_after_the_retries() {
        let server =
            FakeServer::start(|_, _| Reply::completion(GOOD).delayed(Duration::from_secs(10)))
                .await;
        let client = OpenAiClient::new(OpenAiConfig {
            timeout: Duration::from_millis(300),
            max_retries: 1,
            ..config(&server)
        })
        .unwrap();

        let started = Instant::now();
        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(matches!(error, ProviderError::Timeout { .. }), "{error:?}");
        assert_eq!(server.seen().len(), 2);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn concurrency_is_limited() {
        let server =
            FakeServer::start(|_, _| Reply::completion(GOOD).delayed(Duration::from_millis(150)))
                .await;
        let client = OpenAiClient::new(OpenAiConfig {
            max_concurrency: 2,
            ..config(&server)
        })
        .unwrap();

        let request = request();
        let calls = (0..6).map(|_| client.complete_json(&request));
        let replies = futures::future::join_all(calls).await;

        assert!(replies.iter().all(Result::is_ok), "{replies:?}");
        assert_eq!(server.seen().len(), 6);
        assert_eq!(server.most_in_flight.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn non_json_content_is_a_bad_response() {
        let server =
            FakeServer::start(|_, _| Reply::completion("Sure! Here is a headline: bread")).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(matches!(error, ProviderError::BadResponse(_)), "{error:?}");
        assert_eq!(server.seen().len(), 1, "bad content is not retried");
    }

    #[tokio::test]
    async fn json_that_is_not_an_object_is_a_bad_response() {
        let server = FakeServer::start(|_, _| Reply::completion("[1, 2, 3]")).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(matches!(error, ProviderError::BadResponse(_)), "{error:?}");
    }

    #[tokio::test]
    async fn empty_choices_is_a_bad_response() {
        let server =
            FakeServer::start(|_, _| Reply::status(200, r#"{"choices": [], "model": "x"}"#)).await;
        let client = OpenAiClient::new(config(&server)).unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(matches!(error, ProviderError::BadResponse(_)), "{error:?}");
    }

    #[tokio::test]
    async fn unreachable_server_is_a_transport_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let client = OpenAiClient::new(OpenAiConfig {
            max_retries: 1,
            ..OpenAiConfig::new(Url::parse(&format!("http://{address}/v1")).unwrap(), "m")
        })
        .unwrap();

        let error = client.complete_json(&request()).await.unwrap_err();

        assert!(matches!(error, ProviderError::Transport(_)), "{error:?}");
    }

    #[test]
    fn config_debug_hides_the_api_key() {
        let config = OpenAiConfig {
            api_key: Some("sk-very-secret".to_owned()),
            ..OpenAiConfig::new(Url::parse("http://127.0.0.1:1/v1").unwrap(), "m")
        };
        let client = OpenAiClient::new(config.clone()).unwrap();

        assert!(!format!("{config:?}").contains("sk-very-secret"));
        assert!(!format!("{client:?}").contains("sk-very-secret"));
    }

    #[test]
    fn invalid_configurations_are_rejected() {
        let base = OpenAiConfig::new(Url::parse("http://127.0.0.1:1/v1").unwrap(), "m");
        let zero = OpenAiConfig {
            max_concurrency: 0,
            ..base.clone()
        };
        let ftp = OpenAiConfig {
            base_url: Url::parse("ftp://example.invalid/v1").unwrap(),
            ..base
        };

        assert!(matches!(
            OpenAiClient::new(zero),
            Err(ProviderError::Config(_))
        ));
        assert!(matches!(
            OpenAiClient::new(ftp),
            Err(ProviderError::Config(_))
        ));
    }

    #[test]
    fn endpoint_keeps_the_version_path() {
        for base in ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/"] {
            let config = OpenAiConfig::new(Url::parse(base).unwrap(), "m");
            let client = OpenAiClient::new(config).unwrap();
            assert_eq!(
                client.inner.endpoint.as_str(),
                "http://127.0.0.1:8000/v1/chat/completions"
            );
        }
    }

    #[test]
    fn code_fences_are_stripped() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("```{\"a\":1}```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("  {\"a\":1}  "), "{\"a\":1}");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "é".repeat(BODY_EXCERPT_CHARS * 2);
        assert_eq!(excerpt(&long).chars().count(), BODY_EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn raw_line_breaks_inside_strings_are_escaped() {
        let raw = "{\"a\": \"line one\nline two\t\\\"q\\\"\",\n \"b\": [1,\n2]}";
        assert!(serde_json::from_str::<Value>(raw).is_err());
        let fixed: Value = serde_json::from_str(&escape_raw_controls(raw)).unwrap();
        assert_eq!(fixed["a"], "line one\nline two\t\"q\"");
        assert_eq!(fixed["b"], serde_json::json!([1, 2]));
    }

    #[test]
    fn the_longest_set_counts_every_attempt_wait_and_round() {
        let mut config = OpenAiConfig::new(Url::parse("http://127.0.0.1:9/v1").unwrap(), "m");
        config.timeout = Duration::from_secs(60);
        config.max_retries = 2;
        config.max_concurrency = 4;
        let client = OpenAiClient::new(config).unwrap();
        assert_eq!(client.longest(1), Duration::from_secs(4 * 60 + 2 * 30));
        assert_eq!(client.longest(4), client.longest(1));
        assert_eq!(client.longest(5), Duration::from_secs(2 * 300));
        assert_eq!(client.longest(0), Duration::ZERO);
    }
}
