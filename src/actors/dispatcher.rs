//! `ChangeDispatcher`: delivers the planner's `Plan` for every committed change. The system
//! commands go to the `CommandRunner`, the proxy commands to the `NodeHub` (all nodes), the
//! page notices to the `UiHub`. It decides nothing itself: that is `planner::plan`.

pub use super::change::Publish;
use super::command_runner::{Run, Settled};
use super::node_hub::Broadcast;
use super::planner::plan;
use super::ui_hub::Notify;
use actix::prelude::*;

pub struct ChangeDispatcher {
    runner: Recipient<Run>,
    hub: Recipient<Broadcast>,
    ui: Recipient<Notify>,
    settle: Option<Recipient<Settled>>,
}

impl ChangeDispatcher {
    pub fn new(runner: Recipient<Run>, hub: Recipient<Broadcast>, ui: Recipient<Notify>) -> Self {
        ChangeDispatcher { runner, hub, ui, settle: None }
    }

    /// Where `Settled` goes: the same runner as `runner`, so that it queues behind the
    /// commands this dispatcher sent before it.
    pub fn with_settle(mut self, settle: Recipient<Settled>) -> Self {
        self.settle = Some(settle);
        self
    }
}

impl Actor for ChangeDispatcher {
    type Context = Context<Self>;
}

/// Plans each change and sends the plan on; a page hears each kind of notice once per
/// transaction, however many users it changed.
impl Handler<Publish> for ChangeDispatcher {
    type Result = ();
    fn handle(&mut self, Publish(changes): Publish, _: &mut Context<Self>) {
        let mut notices = Vec::new();
        for change in &changes {
            let plan = plan(change);
            for command in plan.system {
                self.runner.do_send(Run(command));
            }
            for command in plan.proxy {
                self.hub.do_send(Broadcast(command));
            }
            for event in plan.ui {
                if !notices.contains(&event) {
                    notices.push(event);
                }
            }
        }
        for event in notices {
            self.ui.do_send(Notify(event));
        }
    }
}

/// Answers once every system command of the changes published before it has run. The
/// registry publishes before it replies, and mailboxes are first-in first-out, so a handler
/// that got its reply and then sends this waits for exactly its own change's commands (and
/// earlier ones): `201 Created` means the Linux account exists.
impl Handler<Settled> for ChangeDispatcher {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: Settled, _: &mut Context<Self>) -> Self::Result {
        let settle = self.settle.clone();
        Box::pin(async move {
            if let Some(runner) = settle {
                let _ = runner.send(Settled).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::change::{Cause, Change, UserChanged};
    use crate::actors::command_runner::{CommandOutput, RunError};
    use crate::domain::UserStatus;
    use crate::store::users::User;
    use crate::wire::PanelToProxy;
    use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

    /// Stands in for the runner, the node hub and the UI hub: names what it was sent.
    struct Sink(UnboundedSender<String>);

    impl Actor for Sink {
        type Context = Context<Self>;
    }

    impl Handler<Run> for Sink {
        type Result = Result<CommandOutput, RunError>;
        fn handle(&mut self, Run(command): Run, _: &mut Context<Self>) -> Self::Result {
            let _ = self.0.send(format!("system {}", command.op()));
            Ok(CommandOutput { stdout: String::new() })
        }
    }

    impl Handler<Broadcast> for Sink {
        type Result = usize;
        fn handle(&mut self, Broadcast(command): Broadcast, _: &mut Context<Self>) -> usize {
            let kind = match command {
                PanelToProxy::Kick { username } => format!("kick {username}"),
                other => format!("{other:?}"),
            };
            let _ = self.0.send(format!("proxy {kind}"));
            1
        }
    }

    impl Handler<Notify> for Sink {
        type Result = ();
        fn handle(&mut self, Notify(event): Notify, _: &mut Context<Self>) {
            let _ = self.0.send(format!("ui {event:?}"));
        }
    }

    fn left_active(name: &str, status: UserStatus) -> Change {
        let user = |status| User::blank(name, status);
        Change::User(Box::new(UserChanged {
            username: name.into(),
            before: Some(user(UserStatus::Active)),
            after: Some(user(status)),
            cause: Cause::Settled,
            password: None,
        }))
    }

    #[actix::test]
    async fn every_part_of_the_plan_reaches_its_actor_and_pages_hear_once_per_transaction() {
        let (tx, mut rx) = unbounded_channel();
        let sink = Sink(tx).start();
        let dispatcher =
            ChangeDispatcher::new(sink.clone().recipient(), sink.clone().recipient(), sink.recipient())
                .start();
        dispatcher.do_send(Publish(vec![
            left_active("amy", UserStatus::Expired),
            left_active("ben", UserStatus::Exceeded),
        ]));
        let mut seen = Vec::new();
        while seen.len() < 9 {
            seen.push(rx.recv().await.unwrap());
        }
        let account = |name: &str| {
            format!(
                "proxy Account(AccountState {{ username: \"{name}\", crypt_hash: \"\", locked: true, shell: false, deleted: false }})"
            )
        };
        assert_eq!(
            seen,
            [
                "system lock".to_owned(),
                "system kill-user".into(),
                "proxy kick amy".into(),
                account("amy"),
                "system lock".into(),
                "system kill-user".into(),
                "proxy kick ben".into(),
                account("ben"),
                "ui UsersChanged".into(),
            ]
        );
        dispatcher.do_send(Publish(vec![Change::Hosts(vec![])]));
        let hosts = [rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        assert_eq!(hosts, ["proxy ReloadHosts { hosts: [] }", "ui HostsChanged"]);
    }
}
