//! The page's side of the analysis worker, without the browser: which analysis is current (its
//! generation), the sequence numbers of trace requests, the requests waiting for the worker, and when
//! a busy worker is replaced. It answers with [`WorkerCommand`]s the page carries out.

use std::rc::Rc;

use crate::protocol::{Reply, Request};

/// A worker busy longer than this is terminated and replaced when new input arrives; shorter work is
/// left to finish and its answer dropped.
pub const CANCEL_AFTER_MS: f64 = 800.0;

/// One message for the worker: the JSON header and, for an analysis or a redaction, the paste beside
/// it (posted as a plain string, never copied into JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub request: Request,
    pub paste: Option<Rc<str>>,
}

/// What the page does to the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerCommand {
    /// Start a worker from the loaded parts (its first reply is [`Reply::Ready`]).
    Spawn,
    /// Stop the running worker and forget it.
    Terminate,
    /// Post this message to the running worker.
    Post(Outgoing),
}

/// Whether the worker's script and module are there to start workers from.
#[derive(Debug, Clone, PartialEq)]
enum Parts {
    Loading,
    Loaded,
    Failed(String),
}

/// A started worker.
#[derive(Debug, Clone, PartialEq)]
struct Running {
    /// False until it said [`Reply::Ready`]: messages posted before are lost, so they wait.
    ready: bool,
    /// When the analysis it works on was posted; `None` when idle.
    busy_since: Option<f64>,
}

/// What became of a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// An answer about the current analysis (or a trace, matched by its sequence number later).
    Current(Reply),
    /// A reply about an older analysis, or bookkeeping only: nothing for the page.
    Dropped,
}

/// The worker client.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerClient {
    parts: Parts,
    worker: Option<Running>,
    /// Messages waiting for the parts or for the worker's `Ready`, in order.
    queue: Vec<Outgoing>,
    /// Comparisons of nodes and diffs of moments asked for and not answered yet. They outlive a new
    /// analysis of the paste on screen (showing another node of the same files): one dropped from the
    /// queue or lost with a replaced worker is sent again.
    standing: Vec<Outgoing>,
    generation: u64,
    seq: u64,
}

/// The sequence number of a request that outlives a new analysis (see `WorkerClient::standing`).
fn standing_seq(request: &Request) -> Option<u64> {
    match request {
        Request::Compare { seq, .. } | Request::Diff { seq, .. } => Some(*seq),
        _ => None,
    }
}

/// The sequence number a reply answers a standing request with.
fn answered_seq(reply: &Reply) -> Option<u64> {
    match reply {
        Reply::Compared { seq, .. } | Reply::Diffed { seq, .. } => Some(*seq),
        _ => None,
    }
}

impl Default for WorkerClient {
    fn default() -> WorkerClient {
        WorkerClient {
            parts: Parts::Loading,
            worker: None,
            queue: Vec::new(),
            standing: Vec::new(),
            generation: 0,
            seq: 0,
        }
    }
}

impl WorkerClient {
    /// The generation of the analysis the page waits for or shows.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Starts a new generation without asking the worker anything (the input was cleared): answers
    /// about the old one are dropped from now on.
    pub fn forget(&mut self) {
        self.generation += 1;
    }

    /// A new sequence number for a trace or a Service's paths.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Messages waiting to be posted.
    pub fn queued(&self) -> &[Outgoing] {
        &self.queue
    }

    /// True while the worker works on an analysis.
    pub fn busy(&self) -> bool {
        self.worker.as_ref().is_some_and(|w| w.busy_since.is_some())
    }

    /// Asks for an analysis of a new input, as a new generation (returned in the request the caller
    /// builds with `request(generation)`). Work on an older one is given up: the queue drops it, and a
    /// worker busy with it for longer than [`CANCEL_AFTER_MS`] is replaced.
    pub fn analyze(
        &mut self,
        now: f64,
        paste: Rc<str>,
        request: impl FnOnce(u64) -> Request,
    ) -> Result<Vec<WorkerCommand>, String> {
        self.generation += 1;
        let mut commands = Vec::new();
        // Everything queued is about an older generation, but comparisons and diffs.
        self.queue.retain(|o| standing_seq(&o.request).is_some());
        if self
            .worker
            .as_ref()
            .and_then(|w| w.busy_since)
            .is_some_and(|since| now - since > CANCEL_AFTER_MS)
        {
            self.worker = None;
            commands.push(WorkerCommand::Terminate);
        }
        let outgoing = Outgoing {
            request: request(self.generation),
            paste: Some(paste),
        };
        commands.extend(self.send(outgoing, Some(now))?);
        if commands.contains(&WorkerCommand::Terminate) {
            // The analysis first, then what the replaced worker had not answered.
            self.requeue_standing();
        }
        Ok(commands)
    }

    /// Sends a request that is no analysis (a trace, paths, redaction): it does not mark the worker
    /// busy.
    pub fn request(&mut self, outgoing: Outgoing) -> Result<Vec<WorkerCommand>, String> {
        if standing_seq(&outgoing.request).is_some() {
            // A newer comparison replaces an older one still waiting (and so for diffs).
            let same_kind = |o: &Outgoing| {
                std::mem::discriminant(&o.request) == std::mem::discriminant(&outgoing.request)
            };
            self.standing.retain(|o| !same_kind(o));
            self.queue
                .retain(|o| !(standing_seq(&o.request).is_some() && same_kind(o)));
            self.standing.push(outgoing.clone());
        }
        self.send(outgoing, None)
    }

    /// The worker was replaced: the comparisons and diffs it had been given and not answered are
    /// queued for the next one.
    fn requeue_standing(&mut self) {
        for outgoing in &self.standing {
            let seq = standing_seq(&outgoing.request);
            if !self.queue.iter().any(|o| standing_seq(&o.request) == seq) {
                self.queue.push(outgoing.clone());
            }
        }
    }

    fn send(
        &mut self,
        outgoing: Outgoing,
        busy_since: Option<f64>,
    ) -> Result<Vec<WorkerCommand>, String> {
        match &self.parts {
            Parts::Loading => {
                self.queue.push(outgoing);
                return Ok(Vec::new());
            }
            Parts::Failed(e) => return Err(format!("the analysis worker did not load: {e}")),
            Parts::Loaded => {}
        }
        let mut commands = Vec::new();
        let worker = match &mut self.worker {
            Some(worker) => worker,
            None => {
                commands.push(WorkerCommand::Spawn);
                self.worker.insert(Running {
                    ready: false,
                    busy_since: None,
                })
            }
        };
        if busy_since.is_some() {
            worker.busy_since = busy_since;
        }
        if worker.ready {
            commands.push(WorkerCommand::Post(outgoing));
        } else {
            self.queue.push(outgoing);
        }
        Ok(commands)
    }

    /// The worker's parts loaded (or failed to): what waited for them is sent.
    pub fn parts_loaded(&mut self, now: f64, result: Result<(), String>) -> Vec<WorkerCommand> {
        match result {
            Err(e) => {
                self.parts = Parts::Failed(e);
                self.queue.clear();
                Vec::new()
            }
            Ok(()) => {
                self.parts = Parts::Loaded;
                let waiting = std::mem::take(&mut self.queue);
                let busy = waiting
                    .iter()
                    .any(|o| matches!(o.request, Request::Analyze { .. }))
                    .then_some(now);
                let mut commands = Vec::new();
                for outgoing in waiting {
                    // Loaded parts cannot fail to send.
                    commands.extend(self.send(outgoing, busy).unwrap_or_default());
                }
                commands
            }
        }
    }

    /// The running worker failed or could not start: the next request starts another one.
    pub fn worker_lost(&mut self) -> Vec<WorkerCommand> {
        if self.worker.take().is_some() {
            self.requeue_standing();
            vec![WorkerCommand::Terminate]
        } else {
            Vec::new()
        }
    }

    /// Sorts a reply: `Ready` sends what waited, answers about older analyses are dropped. Trace
    /// answers pass; their sequence number is checked by whoever asked.
    pub fn receive(&mut self, reply: Reply) -> (Received, Vec<WorkerCommand>) {
        if let Some(seq) = answered_seq(&reply) {
            self.standing
                .retain(|o| standing_seq(&o.request) != Some(seq));
            self.queue.retain(|o| standing_seq(&o.request) != Some(seq));
        }
        match reply {
            Reply::Ready => {
                let Some(worker) = &mut self.worker else {
                    return (Received::Dropped, Vec::new());
                };
                worker.ready = true;
                let commands = std::mem::take(&mut self.queue)
                    .into_iter()
                    .map(WorkerCommand::Post)
                    .collect();
                (Received::Dropped, commands)
            }
            Reply::Started { .. } => (Received::Dropped, Vec::new()),
            Reply::Analysed { generation, .. } => {
                if let Some(worker) = &mut self.worker {
                    worker.busy_since = None;
                }
                self.current(generation, reply)
            }
            Reply::Redacted { generation, .. }
            | Reply::Failed { generation, .. }
            | Reply::LineOwners { generation, .. }
            | Reply::Partial { generation, .. }
            | Reply::Services { generation, .. }
            | Reply::FirstLook { generation, .. }
            | Reply::Progress { generation, .. } => self.current(generation, reply),
            Reply::Traced { .. }
            | Reply::Paths { .. }
            | Reply::TraceFailed { .. }
            | Reply::Compared { .. }
            | Reply::Diffed { .. } => (Received::Current(reply), Vec::new()),
        }
    }

    fn current(&self, generation: u64, reply: Reply) -> (Received, Vec<WorkerCommand>) {
        if generation == self.generation {
            (Received::Current(reply), Vec::new())
        } else {
            (Received::Dropped, Vec::new())
        }
    }
}
