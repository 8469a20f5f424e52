//! Traces asked of the worker: the Trace form's packet, a cause's deciding packet, and the traces of
//! the open Service's page.

use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::Packet;

use super::{Effect, PathsState, State, TraceForm};
use crate::protocol::Request;
use crate::route::Route;

impl State {
    /// Asks the worker for the open Service's traces, unless they are there already.
    pub(super) fn request_paths(&mut self, fx: &mut Vec<Effect>) {
        let Some(index) = self.service_index() else {
            return;
        };
        let generation = self.generation();
        if self
            .paths
            .as_ref()
            .is_some_and(|p| p.index == index && p.generation == generation)
        {
            return;
        }
        let seq = self.worker.next_seq();
        self.paths = Some(PathsState {
            seq,
            generation,
            index,
            result: None,
        });
        self.path_choice = 0;
        let request = Request::ServicePaths {
            generation,
            seq,
            index,
        };
        self.request(fx, request, None);
    }

    /// Traces the Trace form's packet, or says what the form lacks.
    pub(super) fn run_trace(&mut self, fx: &mut Vec<Effect>) {
        let form = self.trace_form.clone();
        let port = form.port.trim().parse::<u16>();
        let result = match (form.dst.trim().is_empty(), port) {
            (true, _) => Err("give a destination address".to_string()),
            (_, Err(_)) => Err("give a destination port (1–65535)".to_string()),
            (false, Ok(port)) => Ok(Packet {
                src: Some(form.src.trim().to_string()).filter(|s| !s.is_empty()),
                dst: form.dst.trim().to_string(),
                dst_port: port,
                protocol: form.protocol,
                from: form.from,
                returning_client: form.returning,
            }),
        };
        self.trace.seq = self.worker.next_seq();
        match result {
            Err(message) => {
                self.trace.loading = false;
                self.trace.result = Some(Err(message));
            }
            Ok(packet) => {
                self.trace.loading = true;
                self.trace.result = None;
                let request = Request::Trace {
                    generation: self.generation(),
                    seq: self.trace.seq,
                    packet,
                    established: form.established,
                };
                self.request(fx, request, None);
            }
        }
    }

    pub(super) fn trace_packet(&mut self, fx: &mut Vec<Effect>, packet: Packet) {
        self.trace_form = TraceForm {
            from: packet.from,
            src: packet.src.clone().unwrap_or_default(),
            dst: packet.dst.clone(),
            port: packet.dst_port.to_string(),
            protocol: packet.protocol,
            returning: packet.returning_client,
            sample: None,
            established: false,
        };
        fx.push(Effect::SetHash(Route::Trace(self.trace_form.clone())));
        self.run_trace(fx);
    }

    /// "Trace this Service": its ClusterIP and port in the form, traced.
    pub(super) fn trace_service(&mut self, fx: &mut Vec<Effect>, index: usize) {
        let service = self
            .shown
            .as_ref()
            .and_then(|s| s.report.services.get(index).cloned());
        let Some(service) = service else {
            return;
        };
        self.trace_form = TraceForm {
            dst: service.cluster_ip.clone().unwrap_or_default(),
            port: service.port.map(|p| p.to_string()).unwrap_or_default(),
            protocol: service.protocol.unwrap_or(Protocol::Tcp),
            sample: self.sample.map(str::to_string),
            ..self.trace_form.clone()
        };
        let route = Route::Trace(self.trace_form.clone());
        self.route = route.clone();
        fx.push(Effect::SetHash(route));
        self.focus_heading = true;
        self.run_trace(fx);
    }
}
