// VGG16 include_top=False at 224 vs Keras (the conv base every strategy freezes).
import { registerVgg16Tests } from './vgg16-cases.ts';

await registerVgg16Tests(false);
