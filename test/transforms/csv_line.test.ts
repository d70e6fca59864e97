import { expect } from "chai";
import { splitCsvLine } from "../../transforms/csv_line";
import { isBlankLine, lineContent, lineOrigin } from "../../transforms/text_line";

function fields(line: string): string[] {
  const result = splitCsvLine(line);
  if ("error" in result) throw new Error(`unexpected error: ${result.error.reason}`);
  return result.ok;
}

function error(line: string): string {
  const result = splitCsvLine(line);
  if ("ok" in result) throw new Error(`expected an error, got ${JSON.stringify(result.ok)}`);
  expect(result.error.field).to.equal(undefined);
  return result.error.reason;
}

describe("transforms/csv_line: RFC 4180 fields of one line", () => {
  it("splits plain fields, keeping empty ones and surrounding spaces", () => {
    expect(fields("a,b,,d, e ")).to.deep.equal(["a", "b", "", "d", " e "]);
    expect(fields("a,b,")).to.deep.equal(["a", "b", ""]);
    expect(fields("")).to.deep.equal([""]);
  });

  it("keeps commas inside quoted fields", () => {
    expect(fields('x,"DC-Delhi, Okhla",y')).to.deep.equal(["x", "DC-Delhi, Okhla", "y"]);
  });

  it('turns "" inside quotes into one quote, wherever it stands', () => {
    expect(fields('"DC-Mumbai ""Bhiwandi""",b')).to.deep.equal(['DC-Mumbai "Bhiwandi"', "b"]);
    expect(fields('"""",""')).to.deep.equal(['"', ""]);
    expect(fields('a,"x""y"')).to.deep.equal(["a", 'x"y']);
  });

  it("reads fields that are all quoted", () => {
    expect(fields('"a","1.50","",","')).to.deep.equal(["a", "1.50", "", ","]);
  });

  it("keeps a stray quote inside an unquoted field literally", () => {
    expect(fields('12" vinyl,b')).to.deep.equal(['12" vinyl', "b"]);
  });

  it("keeps non-ASCII text as it is", () => {
    expect(fields("Tamil Nadu – Chennai,DC-Pondichéry,東京")).to.deep.equal(["Tamil Nadu – Chennai", "DC-Pondichéry", "東京"]);
  });

  it("rejects an unterminated quoted field (records never span lines)", () => {
    expect(error('a,"DC-Delhi, Okhla')).to.contain("unterminated quoted field starting at character 3");
    expect(error('a,"x""')).to.contain("unterminated");
  });

  it("rejects text after a closing quote", () => {
    expect(error('"abc"x,d')).to.contain("expected a comma after the quoted field");
  });
});

describe("transforms/text_line: line content, blank lines, origins", () => {
  it("strips a leading BOM and a trailing CRLF, LF or CR, and nothing else", () => {
    expect(lineContent("\uFEFFa,b\r\n")).to.equal("a,b");
    expect(lineContent("a,b\r")).to.equal("a,b");
    expect(lineContent("a,b\n")).to.equal("a,b");
    expect(lineContent(" a,b ")).to.equal(" a,b ");
  });

  it("calls whitespace-only lines blank, including CR, tabs, BOM and Unicode spaces", () => {
    for (const line of ["", " ", "\r", "\t \r\n", "\uFEFF", "\u00a0\u2003"]) expect(isBlankLine(line), JSON.stringify(line)).to.equal(true);
    for (const line of ["a", "  ,", "\uFEFFx", " é"]) expect(isBlankLine(line), JSON.stringify(line)).to.equal(false);
  });

  it("names the origin after file and line number, as far as they are known", () => {
    expect(lineOrigin({ line: "", file: "a.csv", lineNumber: 3 })).to.equal("a.csv:3");
    expect(lineOrigin({ line: "", file: "a.csv" })).to.equal("a.csv");
    expect(lineOrigin({ line: "", lineNumber: 3 })).to.equal("line 3");
    expect(lineOrigin({ line: "" })).to.equal(undefined);
  });
});
