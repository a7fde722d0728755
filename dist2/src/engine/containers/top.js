/** `docker top`: run the host's ps over the container's pids, like Docker does. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { invalid } from "../../util/errors.js";
const run = promisify(execFile);
export async function psTable(pids, psArgs) {
    const args = (psArgs || "-ef").split(/\s+/).filter(Boolean);
    let stdout;
    try {
        ({ stdout } = await run("ps", [...args], { maxBuffer: 16 * 1024 * 1024 }));
    }
    catch (err) {
        throw invalid(`Error running ps: ${err.message}`);
    }
    const lines = stdout.split("\n").filter((l) => l.trim() !== "");
    const header = lines.shift() ?? "";
    const titles = header.trim().split(/\s+/);
    const pidCol = titles.indexOf("PID");
    if (pidCol < 0)
        throw invalid(`Couldn't find PID field in ps output`);
    const want = new Set(pids);
    const processes = [];
    for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        // The last column (CMD) may contain spaces: keep it whole.
        const row = fields.slice(0, titles.length - 1);
        row.push(fields.slice(titles.length - 1).join(" "));
        if (want.has(Number(row[pidCol])))
            processes.push(row);
    }
    return { Titles: titles, Processes: processes };
}
//# sourceMappingURL=top.js.map