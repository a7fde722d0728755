/** Runs iproute2 / nft / sysctl commands (argument arrays, never a shell). */
import { execFile } from "node:child_process";
export function run(cmd, args, input) {
    return new Promise((resolve, reject) => {
        const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`));
            else
                resolve(stdout);
        });
        if (input !== undefined)
            child.stdin?.end(input);
    });
}
/** `ip -batch -` inside the network namespace of `pid`. */
export function ipInNetns(pid, commands) {
    return run("nsenter", ["-t", String(pid), "-n", "ip", "-batch", "-"], `${commands.join("\n")}\n`);
}
//# sourceMappingURL=exec.js.map