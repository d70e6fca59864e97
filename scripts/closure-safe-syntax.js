"use strict";
// ts-closure-transform 0.1.8 miscompiles five ordinary constructs that this file mends around it
// (what else it got wrong, array destructuring, defaults inside patterns, computed keys
// (`{ [URN]: … }`), a function declaration's temporaries and a class field named like a method's
// mutable local (the field was taken for a use of it, boxed: `end.value = 0;`), is fixed in the
// transform itself: patches/ts-closure-transform+0.1.8.patch):
//   1. `{ x }` (shorthand property) of a `let` a closure captures yields the box it keeps `x` in;
//      closureSafeSyntax, before the transform, writes it `{ x: x }`.
//   2. `for (let i = 0; …; i++) { … () => i … }`: the loop variable a closure captures is boxed, and
//      the box's declaration is dropped from the loop's initializer (a ReferenceError at run time);
//      closureSafeSyntax, before the transform, gives each iteration its own `const i` (what the
//      language's per-iteration binding means), see perIterationCopy.
//   3. `{ process(x) { … } }`: a method gets no scope of its own (its parameters and name are taken
//      for captures of the enclosing function) and no __closure, and its source is no expression
//      serialize-closures can rebuild; closureSafeSyntax writes it `{ process: function (x) { … } }`.
//   4. a closure reading an `export const X` of its own module: TypeScript's CommonJS output reads
//      `exports.X` in the body, but the __closure captures only `X`, so once rebuilt the body reads
//      an `exports` that is not its module's. capturedExports, after the transform, makes such a
//      closure capture `exports`, which must then be registered for serialization.
//   5. `import type { X } from "m"` and `import { type X } from "m"`: the transform turns every
//      import into `import * as tmp from "m"; var X = tmp.X`, a use of the module as a value, so
//      TypeScript no longer drops the imports that name types only, and every one loaded its module
//      at run time (a worker thread loaded the engine, its groupings and triggers through type
//      imports alone); closureSafeSyntax, before the transform, removes them, as TypeScript would.
// Each rewrite keeps the construct's meaning: the same code runs the same with and without them
// (test/closures/).
const ts = require("typescript");
const path = require("path");

function closureSafeSyntax() {
  return (context) => {
    const f = context.factory;
    const visit = (node) => {
      if (ts.isImportDeclaration(node)) return withoutTypeImports(node, f);
      if (ts.isForStatement(node)) {
        const rewritten = perIterationCopy(node, f);
        if (rewritten !== node) return ts.visitEachChild(rewritten, visit, context);
      }
      if (ts.isObjectLiteralExpression(node) && node.properties.some(isPlainMethod)) {
        const properties = node.properties.map((p) => isPlainMethod(p) ? methodAsFunction(p, f) : p);
        return ts.visitEachChild(f.updateObjectLiteralExpression(node, properties), visit, context);
      }
      if (ts.isShorthandPropertyAssignment(node) && node.objectAssignmentInitializer === undefined) {
        return f.createPropertyAssignment(node.name, f.createIdentifier(node.name.text));
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

/**
 * `node` without what it imports as types only (see 5. above): undefined for `import type …` or an
 * import whose every name is `type`, the import without its `type` names otherwise.
 */
function withoutTypeImports(node, f) {
  const clause = node.importClause;
  if (clause === undefined) return node;
  if (clause.isTypeOnly) return undefined;
  const bindings = clause.namedBindings;
  if (bindings === undefined || !ts.isNamedImports(bindings) || !bindings.elements.some((e) => e.isTypeOnly)) return node;
  const values = bindings.elements.filter((e) => !e.isTypeOnly);
  if (values.length === 0 && clause.name === undefined) return undefined;
  const named = values.length === 0 ? undefined : f.updateNamedImports(bindings, values);
  return f.updateImportDeclaration(node, node.modifiers, f.updateImportClause(clause, false, clause.name, named), node.moduleSpecifier, node.attributes);
}

/** A method of an object literal that does not use `super` (which only a method can). */
function isPlainMethod(property) {
  return ts.isMethodDeclaration(property) && property.body !== undefined && !mentions(property.body, (n) => n.kind === ts.SyntaxKind.SuperKeyword);
}

/**
 * `{ process(x) { … } }` → `{ process: function (x) { … } }`: the transform gives a function
 * expression its own scope and a __closure, and serialize-closures rebuilds it from its source;
 * a method's source (`process(x) { … }`) is no expression. The function is anonymous, as the
 * method's body could mention an outer variable of the method's name; it is still named `process`.
 */
function methodAsFunction(method, f) {
  const modifiers = (ts.getModifiers(method) ?? []).filter((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  return f.createPropertyAssignment(method.name,
    f.createFunctionExpression(modifiers, method.asteriskToken, undefined, method.typeParameters, method.parameters, method.type, method.body));
}

function mentions(node, test) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (test(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * Runs after ts-closure-transform: every `f.__closure` that captures an exported variable `X` (which
 * the body will read as `exports.X`) also captures `exports` itself, so it resolves once rebuilt.
 * That is right only when the module is registered with requireForSerialization (its exports are
 * then serialized by reference, and the worker requires the module by name); otherwise the whole
 * `exports` object would be copied. So the capture checks it, when the closure is serialized (at
 * pipeline construction), and throws an error naming the module, the variables and the fix.
 */
function capturedExports() {
  return (context) => {
    const f = context.factory;
    let exported = new Set();
    let moduleName = "";
    // TypeScript turns `X` into `exports.X` only when printing, so here captures still read `X: X`.
    const readsExports = (p) =>
      (ts.isShorthandPropertyAssignment(p) && exported.has(p.name.text)) ||
      (ts.isPropertyAssignment(p) && ts.isIdentifier(p.initializer) && exported.has(p.initializer.text));
    const visit = (node) => {
      node = ts.visitEachChild(node, visit, context);
      if (
        ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) && node.left.name.text === "__closure" &&
        ts.isArrowFunction(node.right) && ts.isObjectLiteralExpression(ts.skipPartiallyEmittedExpressions(unparenthesized(node.right.body)))
      ) {
        const captured = unparenthesized(node.right.body);
        const names = captured.properties.map((p) => p.name && ts.isIdentifier(p.name) ? p.name.text : undefined);
        if (captured.properties.some(readsExports) && !names.includes("exports")) {
          const variables = captured.properties.filter(readsExports).map((p) => p.name.text);
          const withExports = f.updateObjectLiteralExpression(captured, [
            ...captured.properties,
            f.createPropertyAssignment("exports", registeredExports(f, moduleName, variables)),
          ]);
          return f.updateBinaryExpression(node, node.left, node.operatorToken,
            f.updateArrowFunction(node.right, node.right.modifiers, node.right.typeParameters, node.right.parameters,
              node.right.type, node.right.equalsGreaterThanToken, f.createParenthesizedExpression(withExports)));
        }
      }
      return node;
    };
    return (sourceFile) => {
      exported = exportedVariables(ts.getOriginalNode(sourceFile));
      moduleName = projectModuleName(sourceFile.fileName);
      return exported.size === 0 ? sourceFile : ts.visitNode(sourceFile, visit);
    };
  };
}

/**
 * `exports`, or, when this module's exports are not registered for serialization, a throw saying so:
 * `require("apache-beam/serialization").registeredObjects.some((r) => r.builtin === exports) ? exports
 * : (() => { throw new Error(…) })()`.
 */
function registeredExports(f, moduleName, variables) {
  const exportsId = f.createIdentifier("exports");
  const registry = f.createPropertyAccessExpression(
    f.createCallExpression(f.createIdentifier("require"), undefined, [f.createStringLiteral("apache-beam/serialization")]),
    "registeredObjects");
  const entry = f.createIdentifier("r");
  const isRegistered = f.createCallExpression(f.createPropertyAccessExpression(registry, "some"), undefined, [
    f.createArrowFunction(undefined, undefined, [f.createParameterDeclaration(undefined, undefined, entry)], undefined, undefined,
      f.createStrictEquality(f.createPropertyAccessExpression(entry, "builtin"), exportsId)),
  ]);
  const listed = variables.map((v) => `\`${v}\``).join(", ");
  const message =
    `${moduleName}: a serialized closure reads the exported ${listed} of its own module, so it captures the module's ` +
    `\`exports\`, and ${moduleName} is not registered for serialization. End the module with ` +
    `\`requireForSerialization("beam-ts-native/${moduleName}", exports)\` (from "apache-beam/serialization"), or do not export ${listed}.`;
  const fail = f.createCallExpression(f.createParenthesizedExpression(f.createArrowFunction(undefined, undefined, [], undefined, undefined,
    f.createBlock([f.createThrowStatement(f.createNewExpression(f.createIdentifier("Error"), undefined, [f.createStringLiteral(message)]))]))),
    undefined, []);
  return f.createConditionalExpression(isRegistered, undefined, exportsId, undefined, fail);
}

/** A source file's name as the project's modules are registered: relative to the root, no extension. */
function projectModuleName(fileName) {
  const relative = path.relative(root, fileName);
  const name = relative.startsWith("..") || path.isAbsolute(relative) ? fileName : relative;
  return name.replace(/\\/g, "/").replace(/\.[cm]?tsx?$/, "");
}

const root = path.resolve(__dirname, "..");

/**
 * `for (let i …)` whose body has a closure mentioning `i` and never assigns `i`: loop on a renamed
 * variable and bind `const i` to it at the top of each iteration. Anything else is left as it is.
 */
function perIterationCopy(loop, f) {
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || !(init.flags & ts.NodeFlags.Let)) return loop;
  const names = init.declarations.filter((d) => ts.isIdentifier(d.name)).map((d) => d.name.text);
  if (names.length !== init.declarations.length) return loop;
  const captured = names.filter((name) => closureMentions(loop.statement, name) && !assigns(loop.statement, name));
  if (captured.length === 0 || captured.length !== names.length) return loop;
  const renamed = new Map(names.map((name) => [name, f.createUniqueName(`${name}__loop`)]));
  // Renames references only: never a property name (`it.next`, `{ next: … }`).
  const rename = (node) => {
    if (ts.isIdentifier(node) && renamed.has(node.text)) return renamed.get(node.text);
    if (ts.isPropertyAccessExpression(node)) return f.updatePropertyAccessExpression(node, rename(node.expression), node.name);
    if (ts.isPropertyAssignment(node)) return f.updatePropertyAssignment(node, node.name, rename(node.initializer));
    return ts.visitEachChild(node, rename, nullContext);
  };
  const declarations = init.declarations.map((d) => f.updateVariableDeclaration(d, renamed.get(d.name.text), d.exclamationToken, d.type, d.initializer));
  const copies = f.createVariableStatement(undefined, f.createVariableDeclarationList(
    names.map((name) => f.createVariableDeclaration(name, undefined, undefined, renamed.get(name))), ts.NodeFlags.Const));
  const body = ts.isBlock(loop.statement) ? [...loop.statement.statements] : [loop.statement];
  return f.updateForStatement(
    loop,
    f.updateVariableDeclarationList(init, declarations),
    loop.condition && rename(loop.condition),
    loop.incrementor && rename(loop.incrementor),
    f.createBlock([copies, ...body], true),
  );
}

const nullContext = ts.nullTransformationContext;

function closureMentions(node, name) {
  let found = false;
  const inFunction = (n, inside) => {
    if (found) return;
    const isFunction = ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n);
    if (inside && ts.isIdentifier(n) && n.text === name) found = true;
    ts.forEachChild(n, (c) => inFunction(c, inside || isFunction));
  };
  inFunction(node, false);
  return found;
}

function assigns(node, name) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    const target =
      ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        ? n.left
        : (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
            (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
          ? n.operand
          : undefined;
    if (target && ts.isIdentifier(target) && target.text === name) found = true;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function unparenthesized(node) {
  return ts.isParenthesizedExpression(node) ? unparenthesized(node.expression) : node;
}

/** Names of the variables a module exports by `export const|let|var`. */
function exportedVariables(sourceFile) {
  const names = new Set();
  const collect = (name) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) collect(e.name);
  };
  for (const statement of sourceFile.statements) {
    const exportedStatement = ts.isVariableStatement(statement) &&
      (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exportedStatement) for (const d of statement.declarationList.declarations) collect(d.name);
  }
  return names;
}

module.exports = { closureSafeSyntax, capturedExports };
