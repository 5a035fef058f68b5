//! faxbot-sdk-test-plugin: a plugin written with the SDK, for the SDK's own tests through
//! the real supervisor. Its jobs each exercise one capability client and report what
//! happened in their summary (`ok ...` or `error <code>: <message>`).

use faxbot_sdk::route::Response;
use faxbot_sdk::{Error, Health, HttpMethod, Plugin, Template, Value};
use std::process::ExitCode;
use std::time::Duration;

fn report(outcome: Result<String, Error>) -> Result<String, Error> {
    Ok(match outcome {
        Ok(text) => format!("ok {text}"),
        Err(e) => format!("error {}: {e}", e.code().name()),
    })
}

fn plugin(id: &str) -> Plugin {
    Plugin::new(id, "0.1.0")
        .on_init(|ctx| async move {
            if ctx.config().bool("fail_init") == Some(true) {
                return Err(Error::internal("the config asked init to fail"));
            }
            Ok(())
        })
        .on_event("fax.job.*", |ctx, event| async move {
            let key = format!("seen:{}", event.topic);
            let seen = ctx.kv().get_u64(&key).await?.unwrap_or(0);
            ctx.kv().put_u64(&key, seen + 1).await?;
            if let Some(attempt) = ctx.delivery_attempt()
                && attempt > 1
            {
                ctx.kv().put_u64("redelivered", u64::from(attempt)).await?;
            }
            Ok(())
        })
        .on_fax_job("fax.inbound.*", |ctx, update| async move {
            ctx.kv()
                .put(
                    &format!("inbound:{}", update.job.job_id),
                    update.job.state.name().as_bytes().to_vec(),
                )
                .await
        })
        .on_event("plugin.*", |ctx, event| async move {
            ctx.kv().put_u64(&format!("other:{}", event.topic), 1).await
        })
        .route(HttpMethod::Get, "/echo", |_ctx, request| async move {
            Ok(Response::text(format!(
                "{} q={} body={}",
                request.method,
                request.query_param("q").unwrap_or_default(),
                String::from_utf8_lossy(&request.body)
            )))
        })
        .route(HttpMethod::Post, "/echo", |_ctx, request| async move {
            Ok(Response::new(201).body(request.body))
        })
        .route(HttpMethod::Get, "/fail", |_ctx, _request| async move {
            Err::<Response, _>(Error::invalid("the route was told to fail"))
        })
        .job("kv", |ctx, _run| async move {
            report(
                async {
                    let kv = ctx.kv();
                    kv.put("a:1", b"one".to_vec()).await?;
                    kv.put("a:2", b"two".to_vec()).await?;
                    let got = kv.get("a:1").await?;
                    let listed = kv.list("a:", None, 10).await?;
                    let existed = kv.delete("a:1").await?;
                    let again = kv.delete("a:1").await?;
                    let gone = kv.get("a:1").await?;
                    Ok(format!(
                        "got={} listed={} existed={existed} again={again} gone={}",
                        String::from_utf8_lossy(&got.unwrap_or_default()),
                        listed.keys.join(","),
                        gone.is_none()
                    ))
                }
                .await,
            )
        })
        .job("http", |ctx, _run| async move {
            report(
                async {
                    let token = ctx.secret("HOOK_TOKEN")?;
                    let response = ctx
                        .http()
                        .post("https://hooks.example.com/in")
                        .header("Authorization", Template::text("Bearer ").secret(&token))
                        .header(
                            "X-Signature",
                            Template::text("sha256=").body_hmac_sha256(&token),
                        )
                        .body(b"payload".to_vec())
                        .send()
                        .await?;
                    Ok(format!(
                        "status={} body={}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    ))
                }
                .await,
            )
        })
        .job("secret-ungranted", |ctx, _run| async move {
            report(ctx.secret("NOT_MINE").map(|s| s.name().to_owned()))
        })
        .job("log-metric", |ctx, _run| async move {
            report(
                async {
                    ctx.log()
                        .write(
                            faxbot_sdk::LogLevel::Warn,
                            "hello from the plugin",
                            vec![("count".into(), "3".into())],
                        )
                        .await?;
                    ctx.metrics().counter("jobs_run", 2.0).await?;
                    let bad = ctx.metrics().gauge("Bad.Name", 1.0).await;
                    Ok(format!("bad-name={}", bad.is_err()))
                }
                .await,
            )
        })
        .job("emit", |ctx, _run| async move {
            report(
                ctx.emit(
                    format!("plugin.{}.done", ctx.plugin_id()),
                    vec![("n".into(), Value::Int(1))],
                )
                .await,
            )
        })
        .job("fax", |ctx, _run| async move {
            report(
                ctx.fax_status("job-42")
                    .await
                    .map(|s| format!("{} {}", s.job.job_id, s.job.state.name())),
            )
        })
        .job("config", |ctx, _run| async move {
            report(ctx.config().require_str("greeting").map(str::to_owned))
        })
        .job("kv-raw-error", |ctx, _run| async move {
            // No report(): the error itself travels to the host.
            ctx.kv().put("x", b"y".to_vec()).await?;
            Ok("stored")
        })
        .job("slow", |ctx, _run| async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            ctx.kv().put_u64("slow-finished", 1).await?;
            Ok(())
        })
        .job("slow-kv", |ctx, _run| async move {
            // A capability call that outlives the handler's deadline.
            report(ctx.kv().get("hang").await.map(|_| "answered".to_owned()))
        })
        .job("long-error", |_ctx, _run| async move {
            Err::<(), _>(Error::internal("x".repeat(100_000)))
        })
        .job("hold", |_ctx, _run| async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok("held")
        })
        .job("panic", |_ctx, _run| async move {
            if std::env::args().count() < 100 {
                panic!("the panic job panicked");
            }
            Ok(())
        })
        .on_health(|ctx| async move { Health::ok(format!("instance {}", ctx.instance_id())) })
        .on_shutdown(|ctx| async move { ctx.kv().put("bye", b"1".to_vec()).await })
}

fn main() -> ExitCode {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sdk-test".to_owned());
    faxbot_sdk::run(plugin(&id))
}
