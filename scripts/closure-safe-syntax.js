"use strict";
// ts-closure-transform 0.1.8 miscompiles two ordinary constructs, silently:
//   1. `const [a, b] = xs` keeps only the first binding (`b` becomes an undefined global);
//   2. `{ x }` (shorthand property) of a `let` a closure captures yields the box it keeps `x` in.
// This transformer runs just before it and rewrites both into forms it handles:
//   1. `const [a, b] = xs`  →  `const __array_1 = [...xs], a = __array_1[0], b = __array_1[1]`
//      (rest elements become `.slice(i)`, defaults `=== undefined ? d : v`, nested patterns are kept
//      as patterns on the element, which the same rewrite then reaches);
//   2. `{ x }`              →  `{ x: x }`.
const ts = require("typescript");

function closureSafeSyntax() {
  return (context) => {
    const f = context.factory;
    let counter = 0;
    const visit = (node) => {
      if (ts.isShorthandPropertyAssignment(node) && node.objectAssignmentInitializer === undefined) {
        return f.createPropertyAssignment(node.name, f.createIdentifier(node.name.text));
      }
      if (ts.isVariableDeclarationList(node) && node.declarations.some((d) => ts.isArrayBindingPattern(d.name) && d.initializer)) {
        const declarations = [];
        for (const d of node.declarations) {
          if (ts.isArrayBindingPattern(d.name) && d.initializer) lowerArrayPattern(d.name, ts.visitNode(d.initializer, visit), declarations);
          else declarations.push(ts.visitEachChild(d, visit, context));
        }
        return f.updateVariableDeclarationList(node, declarations.map((d) => ts.visitEachChild(d, visit, context)));
      }
      return ts.visitEachChild(node, visit, context);
    };
    const lowerArrayPattern = (pattern, initializer, out) => {
      const temp = f.createUniqueName("__array");
      out.push(f.createVariableDeclaration(temp, undefined, undefined, f.createArrayLiteralExpression([f.createSpreadElement(initializer)])));
      pattern.elements.forEach((element, index) => {
        if (ts.isOmittedExpression(element)) return;
        let value = element.dotDotDotToken
          ? f.createCallExpression(f.createPropertyAccessExpression(temp, "slice"), undefined, [f.createNumericLiteral(index)])
          : f.createElementAccessExpression(temp, index);
        if (element.initializer) {
          const slot = f.createUniqueName("__element");
          out.push(f.createVariableDeclaration(slot, undefined, undefined, value));
          value = f.createConditionalExpression(
            f.createStrictEquality(slot, f.createVoidZero()), undefined, element.initializer, undefined, slot);
        }
        if (ts.isArrayBindingPattern(element.name)) lowerArrayPattern(element.name, value, out);
        else out.push(f.createVariableDeclaration(element.name, undefined, undefined, value));
      });
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

module.exports = { closureSafeSyntax };
