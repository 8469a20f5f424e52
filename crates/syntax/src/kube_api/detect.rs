//! What the splitter needs to find `kubectl get … -o json|yaml` output in a paste: the command line and
//! the lines only an API object starts with.

/// `kubectl get svc,endpointslices -A -o json`, `kubectl get nodes -oyaml`, `kubectl get ep --output=json`.
pub fn is_get_command(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some(at) = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("kubectl"))
    else {
        return false;
    };
    let rest = &words[at + 1..];
    let gets = rest
        .iter()
        .take_while(|w| !w.contains('|'))
        .any(|w| *w == "get");
    let structured = |format: &str| matches!(format, "json" | "yaml");
    let output = rest
        .windows(2)
        .any(|pair| matches!(pair[0], "-o" | "--output") && structured(pair[1]))
        || rest.iter().any(|w| {
            w.strip_prefix("-o")
                .map(|f| f.trim_start_matches('='))
                .or_else(|| w.strip_prefix("--output="))
                .is_some_and(structured)
        });
    gets && output
}

/// A line that starts an API object: `"apiVersion": "v1",` (JSON) or `apiVersion: v1` /
/// `- apiVersion: discovery.k8s.io/v1` (YAML), with a version word after it.
pub fn is_object_line(text: &str) -> bool {
    let text = text.trim();
    let json = text
        .strip_prefix("\"apiVersion\"")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix(':'))
        .map(|r| r.trim().trim_end_matches(',').trim_matches('"'));
    let yaml = text
        .strip_prefix("- ")
        .unwrap_or(text)
        .strip_prefix("apiVersion:")
        .map(str::trim);
    json.or(yaml).is_some_and(api_version)
}

/// A lone `{` (or `[`) whose next non-blank line starts an API object: the opening of kubectl's JSON.
pub fn opens_object(line: &str, rest: &str) -> bool {
    let t = line.trim();
    (t == "{" || t == "[" || t == "[{")
        && rest
            .lines()
            .take(4)
            .find(|l| !l.trim().is_empty() && l.trim() != "{")
            .is_some_and(is_object_line)
}

/// `v1`, `discovery.k8s.io/v1`, `apps/v1beta2`: a group and version as the API writes them.
fn api_version(word: &str) -> bool {
    let version = word.rsplit('/').next().unwrap_or(word);
    version.len() >= 2
        && version.starts_with('v')
        && version[1..].starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_alphanumeric())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_commands_with_json_or_yaml_output() {
        assert!(is_get_command("kubectl get svc,endpointslices -A -o json"));
        assert!(is_get_command("kubectl get nodes -oyaml"));
        assert!(is_get_command(
            "kubectl -n kube-system get ep kube-dns --output=json"
        ));
        assert!(is_get_command("/usr/local/bin/kubectl get svc -o yaml"));
        assert!(!is_get_command("kubectl get svc -o wide"));
        assert!(!is_get_command(
            "kubectl logs -n kube-system kube-proxy-abc"
        ));
        assert!(!is_get_command("kubectl describe svc foo"));
    }

    #[test]
    fn object_lines() {
        assert!(is_object_line("\"apiVersion\": \"v1\","));
        assert!(is_object_line("  \"apiVersion\": \"discovery.k8s.io/v1\","));
        assert!(is_object_line("apiVersion: v1"));
        assert!(is_object_line("- apiVersion: discovery.k8s.io/v1"));
        assert!(!is_object_line("apiVersion: something else"));
        assert!(!is_object_line("\"name\": \"v1\""));
    }

    #[test]
    fn a_lone_brace_opens_an_object_only_above_one() {
        assert!(opens_object("{", "\n    \"apiVersion\": \"v1\",\n"));
        assert!(opens_object("[", "\n{\n  \"apiVersion\": \"v1\",\n"));
        assert!(!opens_object("{", "\n    \"nftables\": [\n"));
        assert!(!opens_object("x {", "\n    \"apiVersion\": \"v1\",\n"));
    }
}
