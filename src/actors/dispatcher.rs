//! `ChangeDispatcher`: delivers the planner's `Plan` for every committed change. The system
//! commands go to the `CommandRunner`, the proxy commands to the `NodeHub` (all nodes), the
//! page notices to the `UiHub`. It decides nothing itself: that is `planner::plan`.

use super::command_runner::Run;
use super::node_hub::Broadcast;
use super::planner::{Change, plan};
use super::ui_hub::Notify;
use actix::prelude::*;

/// Changes committed in one transaction, in commit order.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Publish(pub Vec<Change>);

pub struct ChangeDispatcher {
    runner: Recipient<Run>,
    hub: Recipient<Broadcast>,
    ui: Recipient<Notify>,
}

impl ChangeDispatcher {
    pub fn new(runner: Recipient<Run>, hub: Recipient<Broadcast>, ui: Recipient<Notify>) -> Self {
        ChangeDispatcher { runner, hub, ui }
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
