import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { context, formatList, preFormat } from "../../src/cli/format/table.js";
import { parseTemplate, renderTemplate, TemplateError } from "../../src/cli/format/template.js";
const data = {
    Id: "abc",
    Name: "/web",
    State: { Status: "running", Running: true, Pid: 42, ExitCode: 0 },
    Config: {
        Cmd: ["sh", "-c", "echo hi"],
        Env: ["A=1", "B=2"],
        Entrypoint: null,
        Labels: { tier: "front", "acc.scn": "x" },
        Volumes: null,
    },
    Mounts: [
        { Type: "volume", Name: "v1", Destination: "/data", RW: true },
        { Type: "bind", Name: "", Destination: "/b", RW: false },
    ],
    NetworkSettings: {
        Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] },
        Networks: { bridge: { IPAddress: "172.17.0.2" } },
    },
    RestartCount: 0,
    Size: 1.5,
    Big: 1234567,
};
describe("template engine", () => {
    const cases = [
        ["{{.Id}}", "abc"],
        ["{{.State.Status}} {{.State.Running}} {{.State.Pid}}", "running true 42"],
        ["{{json .Config.Cmd}}", '["sh","-c","echo hi"]'],
        ["{{json .Config.Entrypoint}}", "null"],
        ["{{.Config.Cmd}}", "[sh -c echo hi]"],
        ["{{.Config.Labels}}", "map[acc.scn:x tier:front]"],
        ["{{.Config.Entrypoint}}", "<nil>"],
        ["{{.Missing}}", "<no value>"],
        ['{{index .Config.Labels "tier"}}', "front"],
        ['{{index .Config.Labels "nope"}}', ""],
        ["{{len .Config.Env}}", "2"],
        ['{{join .Config.Env ","}}', "A=1,B=2"],
        ["{{range .Mounts}}{{.Name}}{{end}}", "v1"],
        ["{{range .Mounts}}{{.Type}} {{.Destination}} {{.RW}};{{end}}", "volume /data true;bind /b false;"],
        ["{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}} {{end}}", "0=volume 1=bind "],
        ["{{range .Nope}}x{{else}}empty{{end}}", "empty"],
        ["{{if .State.Running}}up{{else}}down{{end}}", "up"],
        ["{{if not .State.Running}}up{{else}}down{{end}}", "down"],
        ['{{if eq .State.Status "exited"}}e{{else if eq .State.Status "running"}}r{{else}}o{{end}}', "r"],
        ["{{if and .State.Running (eq .RestartCount 0)}}ok{{end}}", "ok"],
        ["{{with .State}}{{.Pid}}{{end}}", "42"],
        ["{{.Name | upper}}", "/WEB"],
        ['{{lower "ABC"}}-{{title "hello world"}}', "abc-Hello World"],
        ['{{printf "%s:%d" .Name .State.Pid}}', "/web:42"],
        ['{{printf "%-6s|" "ab"}}', "ab    |"],
        ["{{println .Name}}", "/web\n"],
        ['{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', "8080"],
        ["{{.NetworkSettings.Networks.bridge.IPAddress}}", "172.17.0.2"],
        ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}", "acc.scn=x,tier=front,"],
        ["{{.Size}} {{.Big}}", "1.5 1234567"],
        ['{{split "a,b" ","}}', "[a b]"],
        ['{{truncate "abcdef" 3}}|{{pad "x" 1 2}}|', "abc| x  |"],
        ['a {{- "b" -}} c', "abc"],
        ["{{/* comment */}}ok", "ok"],
        ["{{json .Config.Labels}}", '{"tier":"front","acc.scn":"x"}'],
        ["{{$n := .Name}}{{$n}}", "/web"],
    ];
    for (const [tmpl, want] of cases) {
        it(tmpl, () => assert.equal(renderTemplate(tmpl, data), want));
    }
    it("rejects bad templates", () => {
        assert.throws(() => parseTemplate("{{.Foo"), TemplateError);
        assert.throws(() => parseTemplate("{{if .A}}x"), TemplateError);
        assert.throws(() => renderTemplate("{{nosuchfunc .A}}", {}), /function "nosuchfunc" not defined/);
        assert.throws(() => renderTemplate("{{end}}", {}), TemplateError);
    });
    it("sorts a context's keys for {{json .}} and skips its methods", () => {
        const ctx = context({ Tag: "t", ID: "i", Label: (k) => k });
        assert.equal(renderTemplate("{{json .}}", ctx), '{"ID":"i","Tag":"t"}');
        assert.equal(renderTemplate('{{.Label "x"}}', ctx), "x");
        assert.throws(() => renderTemplate("{{.Nope}}", ctx), /can't evaluate field Nope/);
    });
});
describe("table formatting", () => {
    const headers = {
        Repository: "REPOSITORY",
        Tag: "TAG",
        ID: "IMAGE ID",
        CreatedSince: "CREATED",
        Size: "SIZE",
    };
    const def = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    const rows = [
        { Repository: "busybox", Tag: "latest", ID: "0123456789ab", CreatedSince: "2 years ago", Size: "4.26MB" },
        {
            Repository: "acc-busybox-with-long-name",
            Tag: "v1",
            ID: "ba9876543210",
            CreatedSince: "5 seconds ago",
            Size: "1.2kB",
        },
    ];
    it("aligns like docker's tabwriter (min width 10, padding 3)", () => {
        assert.equal(formatList(rows, { defaultTable: def, headers }), [
            "REPOSITORY                   TAG       IMAGE ID       CREATED         SIZE",
            "busybox                      latest    0123456789ab   2 years ago     4.26MB",
            "acc-busybox-with-long-name   v1        ba9876543210   5 seconds ago   1.2kB",
            "",
        ].join("\n"));
    });
    it("prints the header alone for an empty list", () => {
        assert.equal(formatList([], { defaultTable: def, headers }), "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
    });
    it("takes custom table formats with literal \\t and header titles from field names", () => {
        const out = formatList(rows, { format: "table {{.ID}}\\t{{.Repository}}", defaultTable: def, headers });
        assert.equal(out.split("\n")[0], "IMAGE ID       REPOSITORY");
        assert.equal(out.split("\n")[1], "0123456789ab   busybox");
    });
    it("keeps header functions as identities and plain formats header-less", () => {
        assert.equal(formatList(rows, { format: "table {{lower .Tag}}", defaultTable: def, headers }).split("\n")[0], "TAG");
        assert.equal(formatList(rows, { format: "{{.Repository}}|{{.Tag}}", defaultTable: def, headers }), "busybox|latest\nacc-busybox-with-long-name|v1\n");
    });
    it("preFormat strips 'table' and trims", () => {
        assert.deepEqual(preFormat("table  {{.A}}\\t{{.B}} "), { table: true, body: "{{.A}}\t{{.B}}" });
    });
});
//# sourceMappingURL=template.test.js.map