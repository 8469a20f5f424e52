//! Unit tests of shell prompt detection in nft pastes.

#[test]
fn shell_prompts() {
    for p in [
        "user@node:~$",
        "aidid@pi:~$ ",
        "[root@node-1 ~]#",
        "$",
        "root@k8s-worker:/home/x#",
    ] {
        assert!(super::is_shell_prompt(p), "{p}");
    }
    for p in [
        "ip daddr 10.0.0.1 accept",
        "table ip x {",
        "counter",
        "meta mark set 0x1 #",
    ] {
        assert!(!super::is_shell_prompt(p), "{p}");
    }
}
