// VGG16 include_top=True at 224 vs Keras, including the decode_predictions top-5 order.
import { registerVgg16Tests } from './vgg16-cases.ts';

await registerVgg16Tests(true);
