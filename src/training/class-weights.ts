/**
 * sklearn's `class_weight="balanced"`: n_samples / (n_classes * count(class)), so every class
 * contributes equally to the loss. A class with no samples gets weight 0 (it never occurs).
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  return counts.map((c) => (c === 0 ? 0 : labels.length / (numClasses * c)));
}
