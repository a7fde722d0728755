/** Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %t %x %X %f %e %g %c %%. */
import { goString } from "./template.js";
import { formatG } from "./units.js";
export function sprintf(fmt, args) {
    let ai = 0;
    return fmt.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags, w, p, verb) => {
        if (verb === "%")
            return "%";
        if (ai >= args.length)
            return `%!${verb}(MISSING)`;
        const a = args[ai++];
        const prec = p === undefined ? undefined : Number(p);
        let s;
        switch (verb) {
            case "s":
            case "v":
                s = goString(a);
                if (prec !== undefined && verb === "s")
                    s = [...s].slice(0, prec).join("");
                break;
            case "q":
                s = JSON.stringify(typeof a === "string" ? a : goString(a));
                break;
            case "t":
                s = typeof a === "boolean" ? String(a) : `%!t(${goString(a)})`;
                break;
            case "d":
                s = typeof a === "number" ? String(Math.trunc(a)) : `%!d(${typeof a}=${goString(a)})`;
                if (flags.includes("+") && typeof a === "number" && a >= 0)
                    s = `+${s}`;
                break;
            case "x":
            case "X": {
                const h = typeof a === "number"
                    ? a.toString(16)
                    : Buffer.from(typeof a === "string" ? a : goString(a)).toString("hex");
                s = verb === "X" ? h.toUpperCase() : h;
                break;
            }
            case "c":
                s = typeof a === "number" ? String.fromCodePoint(a) : `%!c(${goString(a)})`;
                break;
            case "f":
            case "F":
                s = typeof a === "number" ? a.toFixed(prec ?? 6) : `%!f(${goString(a)})`;
                break;
            case "e":
                s = typeof a === "number" ? goExp(a.toExponential(prec ?? 6)) : `%!e(${goString(a)})`;
                break;
            case "g":
                s =
                    typeof a === "number"
                        ? prec === undefined
                            ? goString(a)
                            : formatG(a, prec)
                        : `%!g(${goString(a)})`;
                break;
            default:
                return `%!${verb}(${goString(a)})`;
        }
        const width = w === undefined ? 0 : Number(w);
        if (s.length >= width)
            return s;
        if (flags.includes("-"))
            return s.padEnd(width);
        if (flags.includes("0") && "dfFeg".includes(verb)) {
            const neg = s.startsWith("-");
            return (neg ? "-" : "") + s.slice(neg ? 1 : 0).padStart(width - (neg ? 1 : 0), "0");
        }
        return s.padStart(width);
    });
}
function goExp(s) {
    return s.replace(/e([+-])(\d)$/, "e$10$2");
}
//# sourceMappingURL=printf.js.map